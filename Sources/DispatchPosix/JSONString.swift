/// JSON string literals, for logs and API responses alike. Terminal output goes through here at tens
/// of MB/s, so it copies runs of plain bytes and only escapes what must be.
public enum JSONString {
    public static func quoted(_ text: String) -> String {
        var out = ""
        append(text, to: &out)
        return out
    }

    public static func append(_ text: String, to out: inout String) {
        var text = text
        let escaped = text.withUTF8 { source in
            [UInt8](unsafeUninitializedCapacity: source.count * 6 + 2) { target, count in
                count = 0
                func put(_ byte: UInt8) {
                    target[count] = byte
                    count += 1
                }
                put(0x22)
                var index = 0
                while index < source.count {
                    let byte = source[index]
                    if let escape = escape(for: byte) {
                        for character in escape.utf8 { put(character) }
                    } else if byte == 0xE2, index + 2 < source.count, source[index + 1] == 0x80, source[index + 2] & 0xFE == 0xA8 {
                        // U+2028 and U+2029 are valid JSON but end a line in JavaScript source.
                        for character in (source[index + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8 { put(character) }
                        index += 2
                    } else {
                        put(byte)
                    }
                    index += 1
                }
                put(0x22)
            }
        }
        out += String(decoding: escaped, as: UTF8.self)
    }

    private static func escape(for byte: UInt8) -> String? {
        switch byte {
        case 0x22: "\\\""
        case 0x5C: "\\\\"
        case 0x0A: "\\n"
        case 0x0D: "\\r"
        case 0x09: "\\t"
        case 0..<0x20:
            "\\u00" + String(byte >> 4, radix: 16) + String(byte & 0x0f, radix: 16)
        default: nil
        }
    }
}
