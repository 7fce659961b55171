import DispatchPosix
import Glibc

/// The Claude conversations kept for a folder: `<config>/projects/<encoded folder>/*.jsonl`, newest
/// first. Each transcript is streamed through in chunks, never loaded whole.
struct ConversationIndex {
    /// `CLAUDE_CONFIG_DIR`, else `$HOME/.claude`.
    let configFolder: String
    var limit = 100

    struct Conversation: Equatable {
        var id: String
        var updatedAt: Int64
        var details: TranscriptSummary

        var json: JSON {
            .object([
                ("id", .string(id)), ("summary", details.summary.map(JSON.string) ?? .null),
                ("firstMessage", details.firstMessage.map(JSON.string) ?? .null),
                ("updatedAt", .string(WallClock.iso8601(milliseconds: updatedAt))), ("messageCount", .int(details.messageCount)),
            ])
        }
    }

    func conversations(forDirectory directory: String) -> [Conversation] {
        let folder = configFolder + "/projects/" + TranscriptSummary.projectFolderName(forDirectory: directory)
        guard let handle = opendir(folder) else { return [] }
        var found: [(id: String, path: String, modified: Int64)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(".jsonl") else { continue }
            let id = String(name.dropLast(6))
            var info = stat()
            let path = folder + "/" + name
            guard ClaudeOptions.isConversationId(id), stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            found.append((id, path, Int64(info.st_mtim.tv_sec) * 1000 + Int64(info.st_mtim.tv_nsec) / 1_000_000))
        }
        closedir(handle)
        return found.sorted { ($0.modified, $0.id) > ($1.modified, $1.id) }.prefix(limit).map {
            Conversation(id: $0.id, updatedAt: $0.modified, details: Self.read($0.path))
        }
    }

    private static func read(_ path: String) -> TranscriptSummary {
        var summary = TranscriptSummary()
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return summary }
        let file = FileDescriptor(adopting: fd)
        var lines = LineSplitter(maxLineLength: ClaudeStreamTranslator.maxLineLength)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let got = try? buffer.withUnsafeMutableBytes { bytes throws(SystemError) in try file.read(into: bytes) }
            guard let got, got > 0 else { break }
            for case .line(let line) in lines.feed(Array(buffer[0..<got])) { summary.add(line: line) }
        }
        for case .line(let line) in lines.finish() { summary.add(line: line) }
        return summary
    }
}
