/// Turns what Claude's CLI prints into session events (docs: README.md, "Claude Code sessions"):
/// each stdout line is one `claude:message` (verbatim), a `result` also a `claude:result`, a
/// `can_use_tool` control request a `claude:permission` (remembered until answered), and stderr lines,
/// lines that are not JSON and lines too long become `claude:error`. Pure: no I/O.
public struct ClaudeStreamTranslator: Sendable {
    public struct Permission: Equatable, Sendable {
        public var requestId: String
        public var toolName: String
        public var input: JSON
        public var toolUseId: JSON

        public var json: JSON {
            .object([("requestId", .string(requestId)), ("toolName", .string(toolName)), ("input", input), ("toolUseId", toolUseId)])
        }

        /// A request as `json` wrote it into the session's meta.
        public init?(json: JSON) {
            guard let requestId = json["requestId"]?.string else { return nil }
            self.init(requestId: requestId, toolName: json["toolName"]?.string ?? "", input: json["input"] ?? .object([]),
                      toolUseId: json["toolUseId"] ?? .null)
        }

        public init(requestId: String, toolName: String, input: JSON, toolUseId: JSON) {
            self.requestId = requestId
            self.toolName = toolName
            self.input = input
            self.toolUseId = toolUseId
        }
    }

    public static let maxLineLength = 16 << 20
    static let noConversation = "No conversation found"

    private var stdout: LineSplitter
    private var stderr: LineSplitter
    /// Permission requests awaiting an answer, oldest first.
    public private(set) var pending: [Permission] = []
    private var reportedNoConversation = false

    /// `pending`: requests a CLI that lives on (its worker re-adopted by a new gateway) still waits on.
    public init(maxLineLength: Int = Self.maxLineLength, pending: [Permission] = []) {
        self.pending = pending
        stdout = LineSplitter(maxLineLength: maxLineLength)
        stderr = LineSplitter(maxLineLength: 64 * 1024)
    }

    public mutating func output(_ bytes: [UInt8]) -> [SessionEvent.Body] {
        stdout.feed(bytes).flatMap { translate(stdoutPiece: $0) }
    }

    public mutating func diagnostics(_ bytes: [UInt8]) -> [SessionEvent.Body] {
        stderr.feed(bytes).flatMap { translate(stderrPiece: $0) }
    }

    /// The CLI ended: its last unfinished lines come out, and requests it waited on cannot be answered any more.
    public mutating func processEnded() -> [SessionEvent.Body] {
        let events = stdout.finish().flatMap { translate(stdoutPiece: $0) } + stderr.finish().flatMap { translate(stderrPiece: $0) }
        return events + expirePending()
    }

    /// A new CLI process starts (after a crash, what the old one left is dropped).
    public mutating func processStarting() -> [SessionEvent.Body] {
        stdout = LineSplitter(maxLineLength: stdout.maxLineLength)
        stderr = LineSplitter(maxLineLength: stderr.maxLineLength)
        reportedNoConversation = false
        return expirePending()
    }

    /// Takes a pending request out (it is being answered).
    public mutating func take(requestId: String) -> Permission? {
        guard let index = pending.firstIndex(where: { $0.requestId == requestId }) else { return nil }
        return pending.remove(at: index)
    }

    private mutating func expirePending() -> [SessionEvent.Body] {
        defer { pending = [] }
        return pending.map {
            Self.event("claude:permission", [("requestId", .string($0.requestId)), ("state", .string("expired")),
                                             ("message", .string("the Claude process ended before an answer"))])
        }
    }

    private mutating func translate(stdoutPiece piece: LineSplitter.Piece) -> [SessionEvent.Body] {
        guard case .line(let line) = piece else {
            return [Self.error("the CLI printed a line longer than \(stdout.maxLineLength) bytes; it was dropped", kind: "too_long")]
        }
        guard line.contains(where: { $0 > 0x20 }) else { return [] }
        guard let message = JSON.parse(line), case .object = message, let type = message["type"]?.string else {
            let text = String(decoding: line.prefix(4096), as: UTF8.self)
            return [Self.error("the CLI printed a line that is not a JSON message: \(text)", kind: "not_json")]
        }
        if type == "control_request", let request = message["request"], request["subtype"]?.string == "can_use_tool",
           let requestId = message["request_id"]?.string {
            let permission = Permission(requestId: requestId, toolName: request["tool_name"]?.string ?? "",
                                        input: request["input"] ?? .object([]), toolUseId: request["tool_use_id"] ?? .null)
            pending.append(permission)
            guard case .object(let fields) = permission.json else { return [] }
            return [Self.event("claude:permission", fields + [("state", .string("pending"))])]
        }
        var events: [SessionEvent.Body] = [.worker(channel: "claude:message", payload: line)]
        if type == "result" {
            events.append(.worker(channel: "claude:result", payload: line))
            if case .array(let errors) = message["errors"] ?? .null,
               let missing = errors.compactMap(\.string).first(where: { $0.contains(Self.noConversation) }) {
                events += noConversation(missing)
            }
        }
        return events
    }

    private mutating func translate(stderrPiece piece: LineSplitter.Piece) -> [SessionEvent.Body] {
        guard case .line(let line) = piece else { return [Self.error("the CLI wrote an overlong line on stderr", kind: "stderr")] }
        let text = String(decoding: line, as: UTF8.self)
        guard text.contains(where: { !$0.isWhitespace }) else { return [] }
        if text.contains(Self.noConversation) { return noConversation(text) }
        return [Self.error(text, kind: "stderr")]
    }

    /// Said once per process, whether the CLI says it on stderr, in its result, or both.
    private mutating func noConversation(_ message: String) -> [SessionEvent.Body] {
        guard !reportedNoConversation else { return [] }
        reportedNoConversation = true
        return [Self.error(message, kind: "no_conversation")]
    }

    static func error(_ message: String, kind: String) -> SessionEvent.Body {
        event("claude:error", [("message", .string(message)), ("kind", .string(kind))])
    }

    static func event(_ channel: String, _ fields: [(String, JSON)]) -> SessionEvent.Body {
        .worker(channel: channel, payload: JSON.object(fields).bytes)
    }
}
