import DispatchHTTP
import XCTest

final class HTTPResponseTests: XCTestCase {
    private func text(_ response: HTTPResponse, headOnly: Bool = false) -> String {
        String(decoding: response.serialized(headOnly: headOnly), as: UTF8.self)
    }

    func testOKWithBody() {
        let response = HTTPResponse(
            status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array("{}".utf8))
        XCTAssertEqual(text(response), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    }

    func testEmptyBodyStillGetsAContentLength() {
        XCTAssertEqual(text(HTTPResponse(status: 404)), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    }

    func testHeadOnlyKeepsTheLengthButNotTheBody() {
        let response = HTTPResponse(status: 200, body: Array("hello".utf8))
        XCTAssertEqual(text(response, headOnly: true), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    }

    func testBodilessStatusesHaveNoLengthAndNoBody() {
        let upgrade = HTTPResponse(status: 101, headers: HTTPHeaders([("Upgrade", "websocket"), ("Connection", "Upgrade")]))
        XCTAssertEqual(text(upgrade), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        XCTAssertEqual(text(HTTPResponse(status: 204, body: [1, 2])), "HTTP/1.1 204 No Content\r\n\r\n")
        XCTAssertEqual(text(HTTPResponse(status: 304)), "HTTP/1.1 304 Not Modified\r\n\r\n")
    }

    func testCallerContentLengthIsReplaced() {
        let response = HTTPResponse(status: 200, headers: HTTPHeaders([("content-length", "999")]), body: [0x41])
        XCTAssertEqual(text(response), "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA")
    }

    func testControlCharactersCannotSplitTheResponse() {
        let response = HTTPResponse(
            status: 200, headers: HTTPHeaders([("X-Name", "a\r\nSet-Cookie: evil\u{0}"), ("X\nY", "v")]))
        XCTAssertEqual(
            text(response), "HTTP/1.1 200 OK\r\nX-Name: a  Set-Cookie: evil \r\nX Y: v\r\nContent-Length: 0\r\n\r\n")
    }

    func testBinaryBodyIsCopiedVerbatim() {
        let body = (0...255).map(UInt8.init)
        let bytes = HTTPResponse(status: 200, body: body).serialized()
        XCTAssertEqual(Array(bytes.suffix(256)), body)
    }

    func testReasonPhrases() {
        let expected: [Int: String] = [
            101: "Switching Protocols", 200: "OK", 201: "Created", 204: "No Content", 304: "Not Modified",
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            408: "Request Timeout", 411: "Length Required", 413: "Content Too Large", 414: "URI Too Long",
            426: "Upgrade Required", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
            500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable",
            505: "HTTP Version Not Supported",
        ]
        for (status, phrase) in expected { XCTAssertEqual(HTTPResponse.reasonPhrase(status), phrase) }
        XCTAssertEqual(HTTPResponse.reasonPhrase(418), "Client Error")
        XCTAssertEqual(HTTPResponse.reasonPhrase(599), "Server Error")
        XCTAssertEqual(HTTPResponse.reasonPhrase(42), "Unknown")
    }

    /// What the serializer writes, the parser's rules accept (as a request head would be judged).
    func testSerializedHeadersParseBack() throws {
        let response = HTTPResponse(status: 200, headers: HTTPHeaders([("Host", "a"), ("X-Tab", "a\tb")]), body: [1])
        let bytes = response.serialized()
        let head = bytes.prefix { $0 != UInt8(ascii: "\r") }
        let request = Array("GET / HTTP/1.1".utf8) + bytes[head.count...]
        var parser = HTTPRequestParser()
        parser.append(request)
        let parsed = try XCTUnwrap(try parser.next())
        XCTAssertEqual(parsed.body, [1])
        XCTAssertEqual(parsed.headers["x-tab"], "a\tb")
        XCTAssertEqual(parsed.headers["content-length"], "1")
    }
}
