/// What the conversation list shows of one Claude transcript (`<session id>.jsonl`), gathered line
/// by line so that a transcript of any size is read in bounded memory. Pure: no I/O.
public struct TranscriptSummary: Equatable, Sendable {
    public var summary: String?
    public var firstMessage: String?
    /// User and assistant lines (tool results included, as the CLI writes them).
    public var messageCount = 0

    public init() {}

    public mutating func add(line: [UInt8]) {
        guard let entry = JSON.parse(line), let type = entry["type"]?.string else { return }
        switch type {
        case "summary":
            if summary == nil { summary = entry["summary"]?.string }
        case "user", "assistant":
            messageCount += 1
            if type == "user", firstMessage == nil, entry["isMeta"]?.bool != true { firstMessage = Self.text(of: entry["message"]?["content"]) }
        default:
            break
        }
    }

    /// The user's own words: a string, or the text blocks of a list (a tool result is not a message).
    private static func text(of content: JSON?) -> String? {
        switch content {
        case .string(let text):
            return text.isEmpty ? nil : String(text.prefix(500))
        case .array(let blocks):
            let texts = blocks.compactMap { $0["type"]?.string == "text" ? $0["text"]?.string : nil }
            return texts.isEmpty ? nil : String(texts.joined(separator: " ").prefix(500))
        default:
            return nil
        }
    }

    /// The transcripts folder of a working directory: every character but ASCII letters and digits
    /// becomes `-`, counted in UTF-16 code units as the CLI (JavaScript) counts them.
    public static func projectFolderName(forDirectory path: String) -> String {
        String(path.utf16.map { unit in unit < 0x80 && ClaudeOptions.isAlphanumeric(UInt8(unit)) ? Character(Unicode.Scalar(UInt8(unit))) : "-" })
    }
}
