import Glibc

/// One line per record on stderr, a JSON object (what journald, Docker and `jq` read) or, in the `text`
/// format, a line for people (see `LogLine`). Values are escaped there, so a field can carry any string;
/// callers never log secrets (keys, tokens, worker secrets).
public enum Log {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warn, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var name: String { ["debug", "info", "warn", "error"][rawValue] }
        public init?(name: String) {
            guard let index = ["debug", "info", "warn", "error"].firstIndex(of: name) else { return nil }
            self.init(rawValue: index)
        }
    }

    public enum Format: String, Sendable { case json, text }

    nonisolated(unsafe) public static var minimumLevel: Level = .info
    /// Set once at start, before any other thread runs; workers are told the gateway's on their command line.
    nonisolated(unsafe) public static var format: Format = .json

    public static func debug(_ message: String, _ fields: [(String, String)] = []) { write(.debug, message, fields) }
    public static func info(_ message: String, _ fields: [(String, String)] = []) { write(.info, message, fields) }
    public static func warn(_ message: String, _ fields: [(String, String)] = []) { write(.warn, message, fields) }
    public static func error(_ message: String, _ fields: [(String, String)] = []) { write(.error, message, fields) }

    public static func write(_ level: Level, _ message: String, _ fields: [(String, String)]) {
        guard level >= minimumLevel else { return }
        let line = LogLine.render(format, level, message, fields, milliseconds: WallClock.milliseconds())
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}
