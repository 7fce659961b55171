import DispatchHTTP
import DispatchPosix

/// Responses with the headers DESIGN section 6 asks for: API answers are JSON and never cached;
/// the UI gets a strict CSP (xterm.js needs inline styles, nothing needs inline scripts).
enum Responses {
    static func json(_ status: Int, _ value: JSON, headers extra: [(String, String)] = []) -> HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store")] + common)
        for (name, value) in extra { headers.add(name, value) }
        return HTTPResponse(status: status, headers: headers, body: value.bytes)
    }

    /// A body already encoded (a history page built from stored JSON, the metrics text), never cached.
    static func encoded(_ status: Int, contentType: String, body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", contentType), ("Cache-Control", "no-store")] + common),
                     body: Array(body.utf8))
    }

    static func error(_ status: Int, _ message: String, headers: [(String, String)] = []) -> HTTPResponse {
        json(status, .object([("error", .string(message))]), headers: headers)
    }

    static func page(_ status: Int, contentType: String, body: [UInt8], extra: [(String, String)] = []) -> HTTPResponse {
        let headers = HTTPHeaders([("Content-Type", contentType), ("Content-Security-Policy", contentSecurityPolicy)] + common + extra)
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        + "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    private static let common = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]
}

/// One JSON line per request on stderr. Only the path is logged, never the query (a careless client
/// may put a key there) nor any header that could carry a secret.
enum AccessLog {
    static func record(_ request: HTTPRequest, status: Int, peer: String) {
        Log.info("request", [("method", request.method), ("path", request.path), ("status", "\(status)"), ("peer", peer)])
    }
}
