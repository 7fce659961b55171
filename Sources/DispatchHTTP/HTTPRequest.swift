/// One parsed request: the head as sent and the whole Content-Length body.
public struct HTTPRequest: Sendable, Equatable {
    /// As sent: methods are case-sensitive, so "get" is not GET.
    public var method: String
    /// The raw request-target, e.g. "/api/sessions?x=1".
    public var target: String
    /// The target before "?", still percent-encoded: decoding it first would let "%2F" pose as "/".
    public var path: String
    /// The target after the first "?", raw; nil when there is no "?".
    public var query: String?
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    /// For handlers and tests that build requests by hand; `path` and `query` come from `target`.
    public init(
        method: String, target: String, version: String = "HTTP/1.1",
        headers: HTTPHeaders = .init(), body: [UInt8] = []
    ) {
        self.method = method
        self.target = target
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<mark])
            query = String(target[target.utf8.index(after: mark)...])
        } else {
            path = target
            query = nil
        }
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
    public var keepAlive: Bool {
        let connection = headers.tokens("Connection")
        if connection.contains("close") { return false }
        return version == "HTTP/1.1" || connection.contains("keep-alive")
    }

    /// Query parameters, percent-decoded ('+' as space); repeated names keep the first.
    /// A malformed escape stays literal rather than failing the lookup: the value is data, and
    /// the handler decides what it accepts.
    public func queryValue(_ name: String) -> String? {
        guard let query else { return nil }
        let bytes = Array(query.utf8)
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            guard Self.formDecoded(pair[..<equals]) == name else { continue }
            return equals == pair.endIndex ? "" : Self.formDecoded(pair[(equals + 1)...])
        }
        return nil
    }

    /// application/x-www-form-urlencoded decoding; invalid UTF-8 becomes U+FFFD.
    static func formDecoded(_ encoded: ArraySlice<UInt8>) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let byte = encoded[index]
            if byte == UInt8(ascii: "+") {
                decoded.append(HTTPSyntax.space)
            } else if byte == UInt8(ascii: "%"), encoded.endIndex - index >= 3,
                let high = HTTPSyntax.hexValue(encoded[index + 1]),
                let low = HTTPSyntax.hexValue(encoded[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
                continue
            } else {
                decoded.append(byte)
            }
            index += 1
        }
        return String(decoding: decoded, as: UTF8.self)
    }
}
