/// How one log record is written: `json` for journald, Docker and `jq`; `text` for a person reading a
/// terminal. Both escape every control character, so no field can forge a line or steer the terminal.
enum LogLine {
    static func render(_ format: Log.Format, _ level: Log.Level, _ message: String, _ fields: [(String, String)],
                       milliseconds: Int64) -> String {
        switch format {
        case .json: json(level, message, fields, milliseconds: milliseconds)
        case .text: text(level, message, fields, milliseconds: milliseconds)
        }
    }

    private static func json(_ level: Log.Level, _ message: String, _ fields: [(String, String)], milliseconds: Int64) -> String {
        let fraction = String(milliseconds % 1000)
        let seconds = "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
        var line = "{\"ts\":\(seconds),\"level\":\"\(level.name)\",\"msg\":\(JSONString.quoted(message))"
        for (key, value) in fields {
            line += ",\(JSONString.quoted(key)):\(JSONString.quoted(value))"
        }
        return line + "}\n"
    }

    /// `2026-11-25T10:11:21.123Z INFO  message key=value key="two words"`: the message as written unless it
    /// holds a quote, a backslash or a control character; a value quoted when it is empty or holds a space or `=`.
    private static func text(_ level: Log.Level, _ message: String, _ fields: [(String, String)], milliseconds: Int64) -> String {
        let levelName = level.name.uppercased()
        var line = WallClock.iso8601(milliseconds: milliseconds) + " " + levelName + String(repeating: " ", count: 5 - levelName.count)
            + " " + quotedIfNeeded(message, alsoFor: { _ in false })
        for (key, value) in fields {
            line += " " + quotedIfNeeded(key, alsoFor: separates) + "=" + quotedIfNeeded(value, alsoFor: separates)
        }
        return line + "\n"
    }

    private static func quotedIfNeeded(_ text: String, alsoFor special: (Unicode.Scalar) -> Bool) -> String {
        guard text.isEmpty || text.unicodeScalars.contains(where: { escape($0) != nil || special($0) }) else { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            if let escaped = escape(scalar) { out += escaped } else { out.unicodeScalars.append(scalar) }
        }
        return out + "\""
    }

    private static func separates(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "=" || scalar.properties.isWhitespace
    }

    /// Quotes and backslashes (they delimit), C0 and C1 controls with DEL (ESC starts terminal
    /// sequences), and the Unicode line and paragraph separators.
    private static func escape(_ scalar: Unicode.Scalar) -> String? {
        switch scalar.value {
        case 0x22: return "\\\""
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029:
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: return nil
        }
    }
}
