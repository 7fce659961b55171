/// Server frames (RFC 6455 5.2): never masked, always FIN, since the server has no reason to
/// fragment and must not mask.
public enum WebSocketWriter {
    /// RFC 6455 5.5: control frame payloads are limited to 125 bytes.
    static let maxControlPayload = 125

    /// A server frame (never masked, FIN set) for the message; close with a code and a reason
    /// (reason truncated to fit 125 bytes at a character boundary). Ping and pong payloads over
    /// 125 bytes are truncated too, so the frame is always one a peer will accept.
    public static func frame(_ message: WebSocketMessage) -> [UInt8] {
        var frame: [UInt8] = []
        switch message {
        case .text(let text):
            frame.reserveCapacity(headerLength(payloadLength: text.utf8.count) + text.utf8.count)
            appendText(text, to: &frame)
        case .binary(let bytes):
            frame.reserveCapacity(headerLength(payloadLength: bytes.count) + bytes.count)
            appendHeader(opcode: .binary, payloadLength: bytes.count, to: &frame)
            frame.append(contentsOf: bytes)
        case .ping(let bytes):
            appendControl(opcode: .ping, payload: bytes, to: &frame)
        case .pong(let bytes):
            appendControl(opcode: .pong, payload: bytes, to: &frame)
        case .close(let code, let reason):
            guard let code else {
                appendHeader(opcode: .close, payloadLength: 0, to: &frame)
                break
            }
            let reasonBytes = prefix(of: reason, maxUTF8Count: maxControlPayload - 2)
            frame.reserveCapacity(4 + reasonBytes.count)
            appendHeader(opcode: .close, payloadLength: 2 + reasonBytes.count, to: &frame)
            frame.append(UInt8(truncatingIfNeeded: code >> 8))
            frame.append(UInt8(truncatingIfNeeded: code))
            frame.append(contentsOf: reasonBytes)
        }
        return frame
    }

    /// Appends the frame for a text message to `buffer` without building the String's bytes twice.
    public static func appendText(_ text: String, to buffer: inout [UInt8]) {
        let utf8 = text.utf8
        // No reserveCapacity here: exact reservations on a buffer appended to repeatedly would
        // defeat Array's geometric growth and make a burst of frames quadratic.
        appendHeader(opcode: .text, payloadLength: utf8.count, to: &buffer)
        buffer.append(contentsOf: utf8)
    }

    static func headerLength(payloadLength: Int) -> Int {
        switch payloadLength {
        case ..<126: 2
        case ...0xFFFF: 4
        default: 10
        }
    }

    static func appendHeader(opcode: WebSocketOpcode, payloadLength: Int, to buffer: inout [UInt8]) {
        buffer.append(0x80 | opcode.rawValue)
        switch payloadLength {
        case ..<126:
            buffer.append(UInt8(truncatingIfNeeded: payloadLength))
        case ...0xFFFF:
            buffer.append(126)
            buffer.append(UInt8(truncatingIfNeeded: payloadLength >> 8))
            buffer.append(UInt8(truncatingIfNeeded: payloadLength))
        default:
            buffer.append(127)
            let length = UInt64(payloadLength)
            for shift in stride(from: 56, through: 0, by: -8) {
                buffer.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
            }
        }
    }

    private static func appendControl(opcode: WebSocketOpcode, payload: [UInt8], to buffer: inout [UInt8]) {
        let kept = payload.prefix(maxControlPayload)
        appendHeader(opcode: opcode, payloadLength: kept.count, to: &buffer)
        buffer.append(contentsOf: kept)
    }

    /// The longest run of whole characters of `text` whose UTF-8 fits `maxUTF8Count`, so a cut
    /// reason is still valid UTF-8 (a peer fails the connection with 1007 otherwise) and does not
    /// split a grapheme.
    static func prefix(of text: String, maxUTF8Count: Int) -> Substring.UTF8View {
        guard text.utf8.count > maxUTF8Count else { return text[...].utf8 }
        var used = 0
        var end = text.startIndex
        for character in text {
            let size = character.utf8.count
            guard used + size <= maxUTF8Count else { break }
            used += size
            end = text.index(after: end)
        }
        return text[..<end].utf8
    }
}
