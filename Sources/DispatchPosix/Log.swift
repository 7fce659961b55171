import Glibc

/// One JSON object per line on stderr: what journald, Docker and `jq` all read. Values are escaped
/// here, so a field can carry any string; callers never log secrets (keys, tokens, worker secrets).
public enum Log {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warn, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var name: String { ["debug", "info", "warn", "error"][rawValue] }
    }

    nonisolated(unsafe) public static var minimumLevel: Level = .info

    public static func debug(_ message: String, _ fields: [(String, String)] = []) { write(.debug, message, fields) }
    public static func info(_ message: String, _ fields: [(String, String)] = []) { write(.info, message, fields) }
    public static func warn(_ message: String, _ fields: [(String, String)] = []) { write(.warn, message, fields) }
    public static func error(_ message: String, _ fields: [(String, String)] = []) { write(.error, message, fields) }

    public static func write(_ level: Level, _ message: String, _ fields: [(String, String)]) {
        guard level >= minimumLevel else { return }
        var line = "{\"ts\":\(timestamp()),\"level\":\"\(level.name)\",\"msg\":\(JSONString.quoted(message))"
        for (key, value) in fields {
            line += ",\(JSONString.quoted(key)):\(JSONString.quoted(value))"
        }
        line += "}\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }

    /// Seconds since the epoch with milliseconds, as a JSON number.
    private static func timestamp() -> String {
        let millis = WallClock.milliseconds()
        let fraction = String(millis % 1000)
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
