import DispatchPosix

/// A Claude session's options, as a client gives them at creation (`options` of `create`), checked
/// here so that a bad value is a clear error and never a CLI that dies at start.
public struct ClaudeOptions: Equatable, Sendable {
    public static let permissionModes = ["default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto"]

    public var permissionMode = "default"
    public var model: String?
    public var allowedTools: [String] = []
    public var disallowedTools: [String] = []
    public var appendSystemPrompt: String?
    public var maxTurns: Int?
    /// A Claude session id to continue (an existing conversation).
    public var resume: String?

    public init() {}

    /// Modes in which the CLI may ask before using a tool (the browser answers, over stdio); only
    /// `bypassPermissions` and `dontAsk` never ask.
    public var asksBeforeTools: Bool { !["bypassPermissions", "dontAsk"].contains(permissionMode) }

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public static func parse(_ json: JSON?) throws(Invalid) -> ClaudeOptions {
        var options = ClaudeOptions()
        guard let json, json != .null else { return options }
        guard case .object(let members) = json else { throw Invalid("\"options\" must be an object") }
        let known: Set = ["permissionMode", "model", "allowedTools", "disallowedTools", "appendSystemPrompt", "maxTurns", "resume"]
        if let unknown = members.first(where: { !known.contains($0.0) }) {
            throw Invalid("unknown option \(JSONString.quoted(unknown.0)); known: \(known.sorted().joined(separator: ", "))")
        }
        if let value = json["permissionMode"] {
            guard let mode = value.string, permissionModes.contains(mode) else {
                throw Invalid("\"permissionMode\" must be one of \(permissionModes.joined(separator: ", "))")
            }
            options.permissionMode = mode
        }
        if let value = json["model"] {
            guard let model = value.string, isSimpleWord(model, maxLength: 100) else {
                throw Invalid("\"model\" must be a model name or alias such as \"sonnet\" (letters, digits, '.', '_', '-', '[', ']')")
            }
            options.model = model
        }
        options.allowedTools = try tools(json["allowedTools"], "allowedTools")
        options.disallowedTools = try tools(json["disallowedTools"], "disallowedTools")
        if let value = json["appendSystemPrompt"] {
            guard let text = value.string, text.utf8.count <= 64 * 1024, !text.contains("\0") else {
                throw Invalid("\"appendSystemPrompt\" must be a string of at most 64 KiB")
            }
            options.appendSystemPrompt = text.isEmpty ? nil : text
        }
        if let value = json["maxTurns"] {
            guard let turns = value.integer, (1...1000).contains(turns) else { throw Invalid("\"maxTurns\" must be a whole number from 1 to 1000") }
            options.maxTurns = turns
        }
        if let value = json["resume"] {
            guard let id = value.string, isConversationId(id) else {
                throw Invalid("\"resume\" must be a Claude session id (1-128 letters, digits, '-' or '_')")
            }
            options.resume = id
        }
        return options
    }

    /// The options to keep in the session's meta, so that a reopened session runs with the same ones.
    public var json: JSON {
        var members: [(String, JSON)] = [("permissionMode", .string(permissionMode))]
        if let model { members.append(("model", .string(model))) }
        if !allowedTools.isEmpty { members.append(("allowedTools", .array(allowedTools.map(JSON.string)))) }
        if !disallowedTools.isEmpty { members.append(("disallowedTools", .array(disallowedTools.map(JSON.string)))) }
        if let appendSystemPrompt { members.append(("appendSystemPrompt", .string(appendSystemPrompt))) }
        if let maxTurns { members.append(("maxTurns", .int(maxTurns))) }
        return .object(members)
    }

    public static func isConversationId(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// A tool rule such as `Read`, `Bash(git log:*)` or `mcp__server__tool`: no control characters, no
    /// leading dash (it would read as a flag), no comma (the CLI splits on it).
    private static func tools(_ value: JSON?, _ name: String) throws(Invalid) -> [String] {
        guard let value else { return [] }
        guard case .array(let items) = value, items.count <= 100 else { throw Invalid("\"\(name)\" must be an array of tool names") }
        var result: [String] = []
        for item in items {
            guard let rule = item.string, (1...200).contains(rule.utf8.count), !rule.hasPrefix("-"), !rule.contains(","),
                  !rule.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
            else { throw Invalid("\"\(name)\" must hold tool rules such as \"Read\" or \"Bash(git log:*)\"") }
            result.append(rule)
        }
        return result
    }

    private static func isSimpleWord(_ text: String, maxLength: Int) -> Bool {
        (1...maxLength).contains(text.utf8.count) && text.utf8.first != UInt8(ascii: "-")
            && text.utf8.allSatisfy { isAlphanumeric($0) || Array("._-[]".utf8).contains($0) }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
