import DispatchTestSupport
import DispatchHTTP
import XCTest

/// SplitMix64: deterministic, so a failing random case replays from its seed.


/// Shared by the parser test files.
enum HTTPParse {
    /// Everything a parser yields, then the error that stopped it, if any.
    static func drain(_ parser: inout HTTPRequestParser) -> (requests: [HTTPRequest], error: HTTPParseError?) {
        var requests: [HTTPRequest] = []
        do throws(HTTPParseError) {
            while let request = try parser.next() { requests.append(request) }
            return (requests, nil)
        } catch {
            return (requests, error)
        }
    }

    static func all(_ bytes: [UInt8], limits: HTTPLimits = .init()) -> (requests: [HTTPRequest], error: HTTPParseError?) {
        var parser = HTTPRequestParser(limits: limits)
        parser.append(bytes)
        return drain(&parser)
    }

    static func all(_ text: String, limits: HTTPLimits = .init()) -> (requests: [HTTPRequest], error: HTTPParseError?) {
        all(Array(text.utf8), limits: limits)
    }

    /// The one request `text` holds, failing the test otherwise.
    static func one(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> HTTPRequest? {
        let result = all(text)
        XCTAssertNil(result.error, file: file, line: line)
        XCTAssertEqual(result.requests.count, 1, file: file, line: line)
        return result.requests.first
    }

    static func error(_ text: String, limits: HTTPLimits = .init()) -> HTTPParseError? { all(text, limits: limits).error }
}

final class HTTPRequestParserTests: XCTestCase {
    func testSimpleGet() throws {
        let request = try XCTUnwrap(HTTPParse.one("GET /api/sessions?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"))
        XCTAssertEqual(request.method, "GET")
        XCTAssertEqual(request.target, "/api/sessions?x=1&y=2")
        XCTAssertEqual(request.path, "/api/sessions")
        XCTAssertEqual(request.query, "x=1&y=2")
        XCTAssertEqual(request.version, "HTTP/1.1")
        XCTAssertEqual(request.headers.count, 2)
        XCTAssertEqual(request.headers["host"], "example.com")
        XCTAssertEqual(request.body, [])
        XCTAssertTrue(request.keepAlive)
    }

    func testPathWithoutQueryAndEmptyQuery() throws {
        XCTAssertNil(try XCTUnwrap(HTTPParse.one("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).query)
        let empty = try XCTUnwrap(HTTPParse.one("GET /x? HTTP/1.1\r\nHost: a\r\n\r\n"))
        XCTAssertEqual(empty.path, "/x")
        XCTAssertEqual(empty.query, "")
        // Percent-encoding is left alone in the path, so "%2F" cannot pose as a separator.
        XCTAssertEqual(try XCTUnwrap(HTTPParse.one("GET /a%2Fb?q=%41 HTTP/1.1\r\nHost: a\r\n\r\n")).path, "/a%2Fb")
    }

    func testHeadersKeepOrderAndCaseAndTrimOWS() throws {
        let request = try XCTUnwrap(HTTPParse.one(
            "GET / HTTP/1.1\r\nhOsT: h\r\nX-Thing:   spaced value \t \r\nx-thing:second\r\nEmpty:\r\nUTF: h\u{E9}\r\n\r\n"))
        let pairs = request.headers.map { "\($0.name)=\($0.value)" }
        XCTAssertEqual(pairs, ["hOsT=h", "X-Thing=spaced value", "x-thing=second", "Empty=", "UTF=h\u{E9}"])
        XCTAssertEqual(request.headers["HOST"], "h")
        XCTAssertEqual(request.headers["X-THING"], "spaced value")
        XCTAssertEqual(request.headers.values("x-Thing"), ["spaced value", "second"])
        XCTAssertTrue(request.headers.contains("empty"))
        XCTAssertNil(request.headers["missing"])
    }

    func testBareLFLineEndings() throws {
        let request = try XCTUnwrap(HTTPParse.one("POST /p HTTP/1.1\nHost: a\nContent-Length: 2\n\nhi"))
        XCTAssertEqual(request.body, Array("hi".utf8))
        XCTAssertEqual(request.headers["host"], "a")
    }

    func testHTTP10NeedsNoHost() throws {
        let request = try XCTUnwrap(HTTPParse.one("GET / HTTP/1.0\r\n\r\n"))
        XCTAssertEqual(request.version, "HTTP/1.0")
        XCTAssertFalse(request.keepAlive)
    }

    func testOptionsAsterisk() throws {
        XCTAssertEqual(try XCTUnwrap(HTTPParse.one("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")).target, "*")
        XCTAssertEqual(HTTPParse.error("GET * HTTP/1.1\r\nHost: a\r\n\r\n")?.status, 400)
    }

    func testUnknownButWellFormedMethodsPass() throws {
        XCTAssertEqual(try XCTUnwrap(HTTPParse.one("PROPFIND /x HTTP/1.1\r\nHost: a\r\n\r\n")).method, "PROPFIND")
        // Methods are case-sensitive: "post" is not POST, so it needs no Content-Length.
        XCTAssertEqual(try XCTUnwrap(HTTPParse.one("post /x HTTP/1.1\r\nHost: a\r\n\r\n")).method, "post")
    }

    func testLeadingEmptyLinesAreSkipped() throws {
        let request = try XCTUnwrap(HTTPParse.one("\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        XCTAssertEqual(request.path, "/")
        XCTAssertEqual(HTTPParse.error(String(repeating: "\r\n", count: 9) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n")?.status, 400)
    }

    private let post = Array("POST /api/sessions HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"name\":\"build\",\"cols\":80}\n".utf8)

    func testPostBodySplitAtEveryByte() throws {
        let expected = try XCTUnwrap(HTTPParse.all(post).requests.first)
        XCTAssertEqual(expected.body, Array("{\"name\":\"build\",\"cols\":80}\n".utf8))
        for split in 0...post.count {
            var parser = HTTPRequestParser()
            parser.append(Array(post[..<split]))
            let first = HTTPParse.drain(&parser)
            XCTAssertNil(first.error)
            XCTAssertEqual(first.requests, split == post.count ? [expected] : [], "split at \(split)")
            XCTAssertEqual(parser.hasPartialRequest, split > 0 && split < post.count, "split at \(split)")
            parser.append(Array(post[split...]))
            let second = HTTPParse.drain(&parser)
            XCTAssertNil(second.error)
            XCTAssertEqual(first.requests + second.requests, [expected], "split at \(split)")
            XCTAssertFalse(parser.hasPartialRequest)
        }
    }

    func testOneByteAtATime() throws {
        let stream = post + Array("GET /two HTTP/1.1\r\nHost: a\r\n\r\n".utf8) + post
        var parser = HTTPRequestParser()
        var requests: [HTTPRequest] = []
        for byte in stream {
            parser.append([byte])
            let step = HTTPParse.drain(&parser)
            XCTAssertNil(step.error)
            requests += step.requests
        }
        XCTAssertEqual(requests.map(\.path), ["/api/sessions", "/two", "/api/sessions"])
        XCTAssertEqual(requests, HTTPParse.all(stream).requests)
    }

    func testPipelinedRequestsComeOutOneByOne() throws {
        let stream = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
            + "DELETE /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /4 HTTP/1.1\r\nHo"
        var parser = HTTPRequestParser()
        parser.append(Array(stream.utf8))
        XCTAssertEqual(try parser.next()?.path, "/1")
        let second = try XCTUnwrap(try parser.next())
        XCTAssertEqual(second.path, "/2")
        XCTAssertEqual(second.body, Array("abc".utf8))
        XCTAssertEqual(try parser.next()?.method, "DELETE")
        XCTAssertNil(try parser.next())
        XCTAssertTrue(parser.hasPartialRequest)
        parser.append(Array("st: a\r\n\r\n".utf8))
        XCTAssertEqual(try parser.next()?.path, "/4")
        XCTAssertNil(try parser.next())
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testTakeBufferedBytesAfterUpgrade() throws {
        let upgrade = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        let frames: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58, 0x0A, 0x0D, 0x0A]
        var parser = HTTPRequestParser()
        parser.append(Array(upgrade.utf8) + frames)
        let request = try XCTUnwrap(try parser.next())
        XCTAssertEqual(request.headers.tokens("upgrade"), ["websocket"])
        XCTAssertEqual(parser.takeBufferedBytes(), frames)
        XCTAssertEqual(parser.takeBufferedBytes(), [])
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testTakeBufferedBytesKeepsBytesNextAlreadyLookedAt() throws {
        // Even when the caller asks for another request first, the bytes after the returned one survive.
        var parser = HTTPRequestParser()
        parser.append(Array("GET /ws HTTP/1.1\r\nHost: a\r\n\r\nGET /partial HTTP/1.1\r\nX: y\r\n".utf8))
        XCTAssertNotNil(try parser.next())
        XCTAssertNil(try parser.next())
        XCTAssertEqual(parser.takeBufferedBytes(), Array("GET /partial HTTP/1.1\r\nX: y\r\n".utf8))
        // And the parser starts over clean.
        parser.append(Array("GET /next HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        XCTAssertEqual(try parser.next()?.path, "/next")
    }

    func testHasPartialRequest() throws {
        var parser = HTTPRequestParser()
        XCTAssertFalse(parser.hasPartialRequest)
        parser.append(Array("\r\n".utf8))
        XCTAssertNil(try parser.next())
        XCTAssertFalse(parser.hasPartialRequest, "a skipped empty line is not a request")
        parser.append(Array("G".utf8))
        XCTAssertTrue(parser.hasPartialRequest)
        parser.append(Array("ET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        XCTAssertNotNil(try parser.next())
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testUnsafeRawBufferAppend() throws {
        var parser = HTTPRequestParser()
        let bytes = Array("GET /raw HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        bytes.withUnsafeBytes { parser.append($0) }
        XCTAssertEqual(try parser.next()?.path, "/raw")
    }

    func testManyPipelinedRequestsAcrossAppends() throws {
        // Exercises the buffer reclaiming: requests complete in the middle of appends.
        let one = Array("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello".utf8)
        let stream = Array((0..<500).map { _ in one }.joined())
        var parser = HTTPRequestParser()
        var count = 0
        var offset = 0
        var rng = SplitMix64(seed: 1)
        while offset < stream.count {
            let end = min(stream.count, offset + Int.random(in: 1...200, using: &rng))
            parser.append(Array(stream[offset..<end]))
            offset = end
            while let request = try parser.next() {
                XCTAssertEqual(request.body, Array("hello".utf8))
                count += 1
            }
        }
        XCTAssertEqual(count, 500)
        XCTAssertFalse(parser.hasPartialRequest)
    }
}
