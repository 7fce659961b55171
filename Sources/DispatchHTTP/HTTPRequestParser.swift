/// Streaming HTTP/1.1 request parser: bytes in as they arrive (split anywhere), requests out.
///
/// Bytes accumulate in one buffer. The head is parsed line by line as each line completes, in
/// place by index; nothing is consumed until a whole request is returned, so the bytes after
/// the last returned request are always intact for `takeBufferedBytes` (a WebSocket upgrade's
/// first frames), whatever `next()` saw of them.
public struct HTTPRequestParser: Sendable {
    /// Above this, a fully drained buffer gives its storage back, so one large body does not pin
    /// a megabyte per idle keep-alive connection.
    private static let retainedCapacity = 64 * 1024
    /// RFC 9112 §2.2 asks servers to skip empty lines before a request (some clients send CRLF
    /// after a body); a few are plenty, and the cap keeps them from piling up in the buffer.
    private static let maxLeadingEmptyLines = 8

    private let limits: HTTPLimits
    private var buffer: [UInt8] = []
    /// Where the request being parsed starts; everything before it has been returned.
    private var requestStart = 0
    /// The first byte of the line not yet parsed; once the head is complete, the body's start.
    private var lineStart = 0
    /// No LF between `lineStart` and here, so a line trickling in is scanned once, not per append.
    private var scanned = 0
    private var leadingEmptyLines = 0
    private var phase = Phase.requestLine
    /// The request being parsed, filled in line by line once the request line is in. Kept as a
    /// plain value (not an optional) so each header line is added in place, without copies.
    private var head = Self.blank
    /// Bytes of the header lines parsed so far, without line endings.
    private var headerBytes = 0
    private var failure: HTTPParseError?

    private enum Phase: Equatable {
        case requestLine
        case headers
        case body(length: Int)
    }

    private static let blank = HTTPRequest(method: "", target: "", version: "")

    public init(limits: HTTPLimits = .init()) {
        self.limits = limits
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }  // the connection is being closed; don't grow for it
        reclaimConsumed()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        guard failure == nil else { return }
        reclaimConsumed()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request (headers and Content-Length body), nil when more bytes are needed.
    /// Limits are enforced as soon as they are crossed, before the rest arrives (a 10 MB request line
    /// fails at 8 KiB + 1). After a throw it is poisoned (throws the same error again).
    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        if let failure { throw failure }
        do throws(HTTPParseError) {
            return try parseNext()
        } catch {
            failure = error
            throw error
        }
    }

    /// True while a request has started arriving but is not complete (for the header-read timeout).
    /// Skipped empty lines alone do not count: they are not a request yet.
    public var hasPartialRequest: Bool { phase != .requestLine || lineStart < buffer.count }

    /// Bytes received after the last returned request (e.g. WebSocket frames sent right after the upgrade).
    /// The parser starts over empty, as if newly created.
    public mutating func takeBufferedBytes() -> [UInt8] {
        let rest = Array(buffer[requestStart...])
        buffer = []
        requestStart = 0
        resetRequestState()
        return rest
    }

    private mutating func parseNext() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch phase {
            case .requestLine:
                guard let line = try nextLine() else { return nil }
                try parseRequestLine(line)
            case .headers:
                guard let line = try nextLine() else { return nil }
                if line.isEmpty { try finishHead() } else { try parseHeaderLine(line) }
            case .body(let length):
                guard buffer.count - lineStart >= length else { return nil }
                return completeRequest(bodyLength: length)
            }
        }
    }

    private mutating func completeRequest(bodyLength: Int) -> HTTPRequest {
        let bodyEnd = lineStart + bodyLength
        var request = head
        request.body = Array(buffer[lineStart..<bodyEnd])
        requestStart = bodyEnd
        resetRequestState()
        if requestStart == buffer.count { reclaimConsumed() }
        return request
    }

    private mutating func resetRequestState() {
        lineStart = requestStart
        scanned = requestStart
        leadingEmptyLines = 0
        phase = .requestLine
        head = Self.blank  // the returned request must be the only owner of its headers' storage
        headerBytes = 0
    }

    /// The next complete line without its line ending (CRLF, or a bare LF), or nil after checking
    /// the incomplete rest against the limits so an endless line fails once it crosses one.
    private mutating func nextLine() throws(HTTPParseError) -> Range<Int>? {
        let end = buffer.count
        let from = scanned
        let newline = buffer.withUnsafeBufferPointer { $0[from..<end].firstIndex(of: HTTPSyntax.lf) }
        guard let newline else {
            scanned = end
            // A trailing CR may be the first half of a CRLF split between appends.
            let trailingCR = end > lineStart && buffer[end - 1] == HTTPSyntax.cr ? 1 : 0
            try checkLineLength(end - lineStart - trailingCR)
            return nil
        }
        var contentEnd = newline
        if contentEnd > lineStart, buffer[contentEnd - 1] == HTTPSyntax.cr { contentEnd -= 1 }
        let line = lineStart..<contentEnd
        lineStart = newline + 1
        scanned = lineStart
        try checkLineLength(line.count)
        return line
    }

    private func checkLineLength(_ length: Int) throws(HTTPParseError) {
        if phase == .requestLine {
            if length > limits.requestLine { throw .uriTooLong }
        } else if length > limits.headerBytes - headerBytes {
            throw .headersTooLarge
        }
    }

    private mutating func parseRequestLine(_ line: Range<Int>) throws(HTTPParseError) {
        guard !line.isEmpty else {
            leadingEmptyLines += 1
            if leadingEmptyLines > Self.maxLeadingEmptyLines {
                throw .badRequest("too many empty lines before the request line")
            }
            return
        }
        // Exactly one SP between the parts: lenient splitting is how front ends and back ends
        // come to disagree about what a request said.
        guard let methodEnd = buffer[line].firstIndex(of: HTTPSyntax.space),
            let targetEnd = buffer[(methodEnd + 1)..<line.upperBound].firstIndex(of: HTTPSyntax.space)
        else { throw .badRequest("malformed request line") }
        let method = buffer[line.lowerBound..<methodEnd]
        let target = buffer[(methodEnd + 1)..<targetEnd]
        let version = try HTTPSyntax.parseVersion(buffer[(targetEnd + 1)..<line.upperBound])
        guard !method.isEmpty, method.allSatisfy(HTTPSyntax.isTokenByte) else {
            throw .badRequest("invalid method")
        }
        guard !target.isEmpty, target.allSatisfy(HTTPSyntax.isTargetByte) else {
            throw .badRequest("invalid request target")
        }
        let methodName = String(decoding: method, as: UTF8.self)
        let isAsterisk = target.count == 1 && target.first == UInt8(ascii: "*")
        guard target.first == UInt8(ascii: "/") || (isAsterisk && methodName == "OPTIONS") else {
            throw .badRequest("request target must be a path")
        }
        head = HTTPRequest(method: methodName, target: String(decoding: target, as: UTF8.self), version: version)
        phase = .headers
    }

    private mutating func parseHeaderLine(_ line: Range<Int>) throws(HTTPParseError) {
        let first = buffer[line.lowerBound]
        if HTTPSyntax.isWhitespace(first) { throw .badRequest("obsolete line folding in headers") }
        guard let colon = buffer[line].firstIndex(of: HTTPSyntax.colon) else {
            throw .badRequest("header line without a colon")
        }
        let name = buffer[line.lowerBound..<colon]
        if let last = name.last, HTTPSyntax.isWhitespace(last) {
            throw .badRequest("whitespace before a header colon")
        }
        guard !name.isEmpty, name.allSatisfy(HTTPSyntax.isTokenByte) else { throw .badRequest("invalid header name") }
        let value = HTTPSyntax.trimmingWhitespace(buffer[(colon + 1)..<line.upperBound])
        guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else {
            throw .badRequest("control character in a header value")
        }
        guard head.headers.count < limits.headerCount else { throw .headersTooLarge }
        headerBytes += line.count
        head.headers.add(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    private mutating func finishHead() throws(HTTPParseError) {
        var hosts = 0
        var transferEncoding = false
        var contentLengths: [String] = []
        for (name, value) in head.headers {
            if HTTPHeaders.namesMatch(name, "Host") {
                hosts += 1
            } else if HTTPHeaders.namesMatch(name, "Transfer-Encoding") {
                transferEncoding = true
            } else if HTTPHeaders.namesMatch(name, "Content-Length") {
                contentLengths.append(value)
            }
        }
        if hosts > 1 { throw .badRequest("more than one Host header") }
        if hosts == 0, head.version == "HTTP/1.1" { throw .badRequest("missing Host header") }
        if transferEncoding { throw .notImplemented("Transfer-Encoding is not supported; send a Content-Length") }
        var declared: Int?
        for value in contentLengths {
            guard let length = HTTPSyntax.parseContentLength(value) else { throw .badRequest("invalid Content-Length") }
            if let declared, declared != length { throw .badRequest("conflicting Content-Length headers") }
            declared = length
        }
        guard let declared else {
            switch head.method {
            case "POST", "PUT", "PATCH": throw .lengthRequired
            default: phase = .body(length: 0)
            }
            return
        }
        guard declared <= limits.bodyBytes else { throw .payloadTooLarge }
        phase = .body(length: declared)
    }

    /// Drops returned requests' bytes when that is cheap (all consumed) or pays for itself (the
    /// consumed prefix outweighs what must move), so a burst of pipelined requests costs no memmoves.
    private mutating func reclaimConsumed() {
        guard requestStart > 0 else { return }
        if requestStart == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
        } else if requestStart >= buffer.count - requestStart {
            buffer.removeSubrange(0..<requestStart)
        } else {
            return
        }
        lineStart -= requestStart
        scanned -= requestStart
        requestStart = 0
    }
}
