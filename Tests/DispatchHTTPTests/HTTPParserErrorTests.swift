import DispatchHTTP
import XCTest

final class HTTPParserErrorTests: XCTestCase {
    private func assertStatus(
        _ status: Int, _ text: String, limits: HTTPLimits = .init(), file: StaticString = #filePath, line: UInt = #line
    ) {
        let result = HTTPParse.all(text, limits: limits)
        XCTAssertEqual(result.requests, [], file: file, line: line)
        XCTAssertEqual(result.error?.status, status, text.debugDescription, file: file, line: line)
    }

    func testMalformedRequestLines() {
        for line in [
            "GET /", "GET", "GET  / HTTP/1.1", "GET /  HTTP/1.1", " GET / HTTP/1.1", "GET / HTTP/1.1 ",
            "GET\t/ HTTP/1.1", "GET /\tx HTTP/1.1", "G(T / HTTP/1.1", "GET / http/1.1", "GET / HTTP/1.1x",
            "GET / HTTP/1", "GET / HTTP/1.", "GET / HTTP/11", "GET / HTTP/1,1", "GET / HTTP /1.1",
            "GET example.com HTTP/1.1", "GET http://example.com/ HTTP/1.1", "CONNECT example.com:443 HTTP/1.1",
            "GET /a\u{0}b HTTP/1.1", "GET /é HTTP/1.1", "GET /a\rb HTTP/1.1", "GET /\u{7F} HTTP/1.1",
        ] {
            assertStatus(400, line + "\r\nHost: a\r\n\r\n")
        }
    }

    func testUnsupportedVersionsAre505() {
        for version in ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.1", "HTTP/9.9"] {
            assertStatus(505, "GET / \(version)\r\nHost: a\r\n\r\n")
        }
        XCTAssertEqual(HTTPParseError.versionNotSupported.reason, "HTTP version not supported")
    }

    func testMalformedHeaders() {
        let cases = [
            "Host: a\r\nX-Folded: one\r\n two\r\n",  // obs-fold
            "Host: a\r\nX: one\r\n\ttwo\r\n",  // obs-fold with a tab
            "Host: a\r\nX-Space : v\r\n",  // whitespace before the colon
            "Host: a\r\nX-Tab\t: v\r\n",
            "Host: a\r\nNo colon here\r\n",
            "Host: a\r\n: no name\r\n",
            "Host: a\r\nBad Name: v\r\n",
            "Host: a\r\nBad@Name: v\r\n",
            "Host: a\r\nX: nul\u{0}byte\r\n",
            "Host: a\r\nX: bare\rcr\r\n",
            "Host: a\r\nX: trailing cr\r\r\n",
            "Host: a\r\nX: bell\u{7}\r\n",
            "Host: a\r\nX: del\u{7F}\r\n",
            "Host: a\r\nX: escape\u{1B}[31m\r\n",
        ]
        for headers in cases {
            assertStatus(400, "GET / HTTP/1.1\r\n" + headers + "\r\n")
        }
        XCTAssertEqual(HTTPParse.error("GET / HTTP/1.1\r\nHost: a\r\nX-Space : v\r\n\r\n"), .badRequest("whitespace before a header colon"))
        XCTAssertEqual(HTTPParse.error("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"), .badRequest("obsolete line folding in headers"))
    }

    func testObsFoldRightAfterTheRequestLine() {
        assertStatus(400, "GET / HTTP/1.1\r\n Host: a\r\n\r\n")
    }

    func testHostRules() {
        assertStatus(400, "GET / HTTP/1.1\r\nX: y\r\n\r\n")
        assertStatus(400, "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n")
        assertStatus(400, "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n")
        XCTAssertEqual(HTTPParse.error("GET / HTTP/1.1\r\n\r\n"), .badRequest("missing Host header"))
        XCTAssertNotNil(HTTPParse.one("GET / HTTP/1.1\r\nHost:\r\n\r\n"), "an empty Host is allowed (RFC 9112 §3.2)")
    }

    func testContentLengthRules() {
        for value in ["", "-1", "+5", "5 5", "5,5", "0x10", "1.0", "five", "5\u{0}"] {
            assertStatus(400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n")
        }
        assertStatus(400, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
        // Repeated but agreeing values are one length (RFC 9110 §8.6), and leading zeros are digits.
        let agreeing = HTTPParse.all("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\ncontent-length: 003\r\n\r\nabc")
        XCTAssertNil(agreeing.error)
        XCTAssertEqual(agreeing.requests.first?.body, Array("abc".utf8))
    }

    func testTransferEncodingIs501() {
        assertStatus(501, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        // Both framings at once is the smuggling shape: refused all the same.
        assertStatus(501, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ntransfer-encoding: chunked\r\n\r\n")
        assertStatus(501, "GET / HTTP/1.0\r\nTransfer-Encoding: identity\r\n\r\n")
    }

    func testMissingContentLengthIs411ForBodyMethods() {
        for method in ["POST", "PUT", "PATCH"] {
            assertStatus(411, "\(method) /x HTTP/1.1\r\nHost: a\r\n\r\n")
        }
        for method in ["GET", "HEAD", "DELETE", "OPTIONS"] {
            XCTAssertNotNil(HTTPParse.one("\(method) /x HTTP/1.1\r\nHost: a\r\n\r\n"))
        }
    }

    func testEveryErrorHasItsStatus() {
        let expected: [(HTTPParseError, Int)] = [
            (.badRequest("x"), 400), (.lengthRequired, 411), (.payloadTooLarge, 413), (.uriTooLong, 414),
            (.headersTooLarge, 431), (.versionNotSupported, 505), (.notImplemented("y"), 501),
        ]
        for (error, status) in expected {
            XCTAssertEqual(error.status, status)
            XCTAssertFalse(error.reason.isEmpty)
            XCTAssertNotEqual(HTTPResponse.reasonPhrase(status), "Client Error")
        }
        XCTAssertEqual(HTTPParseError.badRequest("bad thing").reason, "bad thing")
    }

    func testErrorsPoisonTheParser() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/2.0\r\n\r\n".utf8))
        XCTAssertThrowsError(try parser.next()) { XCTAssertEqual($0 as? HTTPParseError, .versionNotSupported) }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        XCTAssertThrowsError(try parser.next()) { XCTAssertEqual($0 as? HTTPParseError, .versionNotSupported) }
    }

    func testRequestsBeforeAnErrorAreStillReturned() {
        let result = HTTPParse.all("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/1.1\r\n\r\n")
        XCTAssertEqual(result.requests.map(\.path), ["/ok"])
        XCTAssertEqual(result.error?.status, 400)
    }
}
