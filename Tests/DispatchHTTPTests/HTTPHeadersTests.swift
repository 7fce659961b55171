import DispatchHTTP
import XCTest

final class HTTPHeadersTests: XCTestCase {
    func testLookupsIgnoreCaseAndKeepOrder() {
        var headers = HTTPHeaders([("Content-Type", "text/plain"), ("Set-Cookie", "a=1")])
        headers.add("set-cookie", "b=2")
        XCTAssertEqual(headers["content-type"], "text/plain")
        XCTAssertEqual(headers["SET-COOKIE"], "a=1")
        XCTAssertEqual(headers.values("Set-Cookie"), ["a=1", "b=2"])
        XCTAssertEqual(headers.values("Nope"), [])
        XCTAssertTrue(headers.contains("CONTENT-TYPE"))
        XCTAssertFalse(headers.contains("Content-Typ"))
        XCTAssertFalse(headers.contains("Content-Type "))
        XCTAssertEqual(headers.count, 3)
        XCTAssertEqual(headers.map(\.name), ["Content-Type", "Set-Cookie", "set-cookie"])
    }

    func testSetReplacesAllValuesInPlace() {
        var headers = HTTPHeaders([("A", "1"), ("X", "old"), ("B", "2"), ("x", "older")])
        headers.set("X", "new")
        XCTAssertEqual(headers.map { "\($0.name)=\($0.value)" }, ["A=1", "X=new", "B=2"])
        headers.set("C", "3")
        XCTAssertEqual(headers.map(\.name), ["A", "X", "B", "C"])
    }

    func testTokens() {
        let headers = HTTPHeaders([
            ("Connection", "keep-alive, Upgrade"), ("connection", " ,TE ,, "), ("Upgrade", "WebSocket"),
        ])
        XCTAssertEqual(headers.tokens("Connection"), ["keep-alive", "upgrade", "te"])
        XCTAssertEqual(headers.tokens("upgrade"), ["websocket"])
        XCTAssertEqual(headers.tokens("missing"), [])
    }

    func testEquality() {
        XCTAssertEqual(HTTPHeaders([("A", "1")]), HTTPHeaders([("A", "1")]))
        XCTAssertNotEqual(HTTPHeaders([("A", "1"), ("B", "2")]), HTTPHeaders([("B", "2"), ("A", "1")]))
        XCTAssertEqual(HTTPHeaders(), HTTPHeaders([]))
    }

    func testNonASCIINamesDoNotFold() {
        let headers = HTTPHeaders([("É", "1")])
        XCTAssertEqual(headers["É"], "1")
        XCTAssertNil(headers["é"])
    }
}
