/// The server side of the RFC 6455 opening handshake (section 4.2), independent of the HTTP
/// types: the caller passes header lookups as closures.
public enum WebSocketHandshake {
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// base64(SHA-1(key + guid)).
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + guid).utf8)))
    }

    /// Checks an upgrade request's method and headers; returns the accept value, or why it is refused.
    /// `headerValue` looks a header up case-insensitively (first value); `headerTokens` gives the
    /// lower-cased comma-separated tokens of a header across all its values. (These closures keep
    /// this file independent of the HTTP types, which another helper is writing.)
    public static func validate(
        method: String,
        headerValue: (String) -> String?,
        headerTokens: (String) -> [String]
    ) -> Result<String, HandshakeError> {
        // Methods are case-sensitive (RFC 9110 9.1).
        guard method == "GET" else { return .failure(.notGet) }
        // Tokens are compared case-insensitively again so a caller that does not lower-case
        // them (browsers send "Upgrade", "keep-alive, Upgrade") still works.
        guard headerTokens("Upgrade").contains(where: { $0.lowercased() == "websocket" }),
              headerTokens("Connection").contains(where: { $0.lowercased() == "upgrade" })
        else { return .failure(.notAnUpgrade) }
        guard let version = headerValue("Sec-WebSocket-Version"), trimmed(version) == "13" else {
            return .failure(.unsupportedVersion)
        }
        // The key is a nonce: only its shape is checked, and it is hashed exactly as sent.
        guard let rawKey = headerValue("Sec-WebSocket-Key") else { return .failure(.badKey) }
        let key = String(trimmed(rawKey))
        guard let nonce = Base64.decode(key), nonce.count == 16 else { return .failure(.badKey) }
        return .success(acceptValue(forKey: key))
    }

    public enum HandshakeError: Error, Equatable, Sendable {
        case notGet
        /// Upgrade lacks "websocket" or Connection lacks "upgrade".
        case notAnUpgrade
        /// Sec-WebSocket-Version is not 13: answer 426 with "Sec-WebSocket-Version: 13".
        case unsupportedVersion
        /// Sec-WebSocket-Key is not the base64 of exactly 16 bytes.
        case badKey
    }

    /// Strips optional whitespace (RFC 9110 5.5), in case the lookup leaves it.
    private static func trimmed(_ value: String) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = value.firstIndex(where: { !isSpace($0) }),
              let last = value.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return value[first...last]
    }
}
