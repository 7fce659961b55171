/// One WebSocket message as the application sees it: data messages reassembled from their
/// fragments, control frames as they come.
public enum WebSocketMessage: Equatable, Sendable {
    case text(String)
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    /// `code` nil is a close frame with an empty payload (which then has no reason either).
    case close(code: UInt16?, reason: String)
}

/// Why a peer's byte stream was refused; each maps to the close code to send before dropping it.
public enum WebSocketError: Error, Equatable, Sendable {
    /// Close 1002: the framing broke a rule of RFC 6455 (the string says which, for logs).
    case protocolError(String)
    /// Close 1007: a text message or a close reason that is not UTF-8.
    case invalidUTF8
    /// Close 1009: a frame or the reassembled message exceeds the reader's limit.
    case messageTooBig

    public var closeCode: UInt16 {
        switch self {
        case .protocolError: 1002
        case .invalidUTF8: 1007
        case .messageTooBig: 1009
        }
    }
}

/// The four-bit frame opcodes of RFC 6455 5.2.
enum WebSocketOpcode: UInt8 {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    var isControl: Bool { rawValue & 0x8 != 0 }
}
