import DispatchHTTP
import XCTest

final class HTTPRequestTests: XCTestCase {
    private func request(_ version: String, _ headers: [(String, String)]) -> HTTPRequest {
        HTTPRequest(method: "GET", target: "/", version: version, headers: HTTPHeaders(headers))
    }

    func testKeepAliveRules() {
        XCTAssertTrue(request("HTTP/1.1", []).keepAlive)
        XCTAssertFalse(request("HTTP/1.1", [("Connection", "close")]).keepAlive)
        XCTAssertFalse(request("HTTP/1.1", [("connection", "Keep-Alive, CLOSE")]).keepAlive)
        XCTAssertTrue(request("HTTP/1.1", [("Connection", "Upgrade")]).keepAlive)
        XCTAssertFalse(request("HTTP/1.0", []).keepAlive)
        XCTAssertTrue(request("HTTP/1.0", [("Connection", " keep-alive ")]).keepAlive)
        XCTAssertTrue(request("HTTP/1.0", [("X", "y"), ("CONNECTION", "Keep-Alive")]).keepAlive)
        XCTAssertFalse(request("HTTP/1.0", [("Connection", "keep-alive"), ("Connection", "close")]).keepAlive)
    }

    func testKeepAliveFromParsedRequests() throws {
        XCTAssertFalse(try XCTUnwrap(HTTPParse.one("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).keepAlive)
        XCTAssertTrue(try XCTUnwrap(HTTPParse.one("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).keepAlive)
    }

    func testQueryValueDecoding() {
        let request = HTTPRequest(method: "GET", target: "/x?a=1&b=hello+world&c=%E2%9C%93&a=2&empty=&flag&sp%61ce=x%20y&&pct=100%25")
        XCTAssertEqual(request.path, "/x")
        XCTAssertEqual(request.queryValue("a"), "1", "repeated names keep the first")
        XCTAssertEqual(request.queryValue("b"), "hello world")
        XCTAssertEqual(request.queryValue("c"), "✓")
        XCTAssertEqual(request.queryValue("empty"), "")
        XCTAssertEqual(request.queryValue("flag"), "")
        XCTAssertEqual(request.queryValue("space"), "x y", "names are decoded too")
        XCTAssertEqual(request.queryValue("pct"), "100%")
        XCTAssertNil(request.queryValue("missing"))
        XCTAssertNil(request.queryValue(""))
    }

    func testQueryValueKeepsMalformedEscapesLiteral() {
        let request = HTTPRequest(method: "GET", target: "/?a=%zz&b=%4&c=%&d=%C3&e=a=b")
        XCTAssertEqual(request.queryValue("a"), "%zz")
        XCTAssertEqual(request.queryValue("b"), "%4")
        XCTAssertEqual(request.queryValue("c"), "%")
        XCTAssertEqual(request.queryValue("d"), "\u{FFFD}", "invalid UTF-8 is repaired, not trapped on")
        XCTAssertEqual(request.queryValue("e"), "a=b")
    }

    func testNoQuery() {
        let request = HTTPRequest(method: "GET", target: "/plain")
        XCTAssertNil(request.query)
        XCTAssertNil(request.queryValue("a"))
        XCTAssertEqual(HTTPRequest(method: "GET", target: "/p?").queryValue("a"), nil)
        XCTAssertEqual(HTTPRequest(method: "GET", target: "/p?q=1?2").queryValue("q"), "1?2")
    }

    func testQueryValueFromParsedRequest() throws {
        let request = try XCTUnwrap(HTTPParse.one("GET /api/sessions/x/ws?token=ab%2Bcd&cols=80 HTTP/1.1\r\nHost: a\r\n\r\n"))
        XCTAssertEqual(request.queryValue("token"), "ab+cd")
        XCTAssertEqual(request.queryValue("cols"), "80")
    }
}
