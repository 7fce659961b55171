/// A response to serialize. The serializer owns the framing: it writes Content-Length itself and
/// ignores any the caller set, so a response can never announce a length its body does not have.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = .init(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Status line, headers, a Content-Length (except for 1xx, 204 and 304, which have none), blank line, body.
    /// `headOnly` (for HEAD) keeps the Content-Length of the body but leaves the body out.
    public func serialized(headOnly: Bool = false) -> [UInt8] {
        // RFC 9110 §6.4.1: these never carry content, so neither a length nor a body is sent.
        let bodiless = (100...199).contains(status) || status == 204 || status == 304
        let sendsBody = !bodiless && !headOnly
        var out: [UInt8] = []
        out.reserveCapacity(64 + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 } + (sendsBody ? body.count : 0))
        out.append(contentsOf: "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n".utf8)
        for (name, value) in headers where !HTTPHeaders.namesMatch(name, "Content-Length") {
            Self.appendSanitized(name, to: &out)
            out.append(contentsOf: ": ".utf8)
            Self.appendSanitized(value, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if !bodiless { out.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8) }
        out.append(contentsOf: "\r\n".utf8)
        if sendsBody { out.append(contentsOf: body) }
        return out
    }

    /// Header text can come from request data (a file name, an echoed id); a CR or LF in it would
    /// let a client write its own headers or a second response, so controls become spaces.
    private static func appendSanitized(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            out.append(HTTPSyntax.isFieldValueByte(byte) ? byte : HTTPSyntax.space)
        }
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 101: "Switching Protocols"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 416: "Range Not Satisfiable"
        case 422: "Unprocessable Content"
        case 426: "Upgrade Required"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        // The phrase is informational (clients go by the code), so an unlisted code gets its class.
        case 100..<200: "Informational"
        case 200..<300: "Success"
        case 300..<400: "Redirection"
        case 400..<500: "Client Error"
        case 500..<600: "Server Error"
        default: "Unknown"
        }
    }
}
