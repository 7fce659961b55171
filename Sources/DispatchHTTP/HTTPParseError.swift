/// Why a request was refused. Each case is answered with its status and the connection is then
/// closed: after a framing error the parser cannot know where the next request would start.
public enum HTTPParseError: Error, Equatable, Sendable {
    /// 400: malformed request line or header, bad/duplicate/conflicting Content-Length, obs-fold,
    /// whitespace before a colon, control characters, a missing or repeated Host.
    case badRequest(String)
    /// 411: POST/PUT/PATCH without a Content-Length.
    case lengthRequired
    /// 413: the declared body exceeds `HTTPLimits.bodyBytes`.
    case payloadTooLarge
    /// 414: the request line exceeds `HTTPLimits.requestLine`.
    case uriTooLong
    /// 431: too many header lines, or too many header bytes.
    case headersTooLarge
    /// 505: anything but HTTP/1.0 or HTTP/1.1.
    case versionNotSupported
    /// 501: Transfer-Encoding; refusing it outright rules out CL/TE request smuggling and leaves
    /// no chunked decoder to get wrong.
    case notImplemented(String)

    public var status: Int {
        switch self {
        case .badRequest: 400
        case .lengthRequired: 411
        case .payloadTooLarge: 413
        case .uriTooLong: 414
        case .headersTooLarge: 431
        case .versionNotSupported: 505
        case .notImplemented: 501
        }
    }

    /// Short and safe to show the client: it never echoes request bytes back.
    public var reason: String {
        switch self {
        case .badRequest(let message): message
        case .lengthRequired: "Content-Length required"
        case .payloadTooLarge: "request body too large"
        case .uriTooLong: "request line too long"
        case .headersTooLarge: "request headers too large"
        case .versionNotSupported: "HTTP version not supported"
        case .notImplemented(let message): message
        }
    }
}

/// What one request may make the parser hold in memory. Every limit is checked as soon as it is
/// crossed, so a hostile client costs at most a limit's worth of buffer.
public struct HTTPLimits: Sendable, Equatable {
    /// Bytes in the request line, without its line ending; above it: 414.
    public var requestLine = 8 * 1024
    /// Bytes in all header lines together, without line endings; above it: 431.
    public var headerBytes = 16 * 1024
    /// Header lines; above it: 431.
    public var headerCount = 100
    /// Declared Content-Length; above it: 413, before any of the body is read.
    public var bodyBytes = 1024 * 1024

    public init() {}
}
