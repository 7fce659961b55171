import DispatchHTTP
import XCTest

/// Each limit must trip as soon as it is crossed, before the rest of an oversized request arrives.
final class HTTPParserLimitTests: XCTestCase {
    private func status(of text: String, limits: HTTPLimits = .init()) -> Int? {
        HTTPParse.error(text, limits: limits)?.status
    }

    func testRequestLineLimitIsInclusive() {
        let limit = HTTPLimits().requestLine
        let fits = "GET /" + String(repeating: "a", count: limit - "GET / HTTP/1.1".count) + " HTTP/1.1"
        XCTAssertEqual(fits.utf8.count, limit)
        XCTAssertNil(status(of: fits + "\r\nHost: a\r\n\r\n"))
        XCTAssertEqual(status(of: "GET /a" + fits.dropFirst(5) + "\r\nHost: a\r\n\r\n"), 414)
    }

    func testTenMegabyteRequestLineFailsAtLimitPlusOne() {
        let limit = HTTPLimits().requestLine
        var parser = HTTPRequestParser()
        let start = Array("GET /".utf8)
        parser.append(start)
        var sent = start.count
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        var failure: HTTPParseError?
        while sent < 10 * 1024 * 1024, failure == nil {
            parser.append(chunk)
            sent += chunk.count
            failure = HTTPParse.drain(&parser).error
        }
        XCTAssertEqual(failure, .uriTooLong)
        XCTAssertLessThan(sent, limit + 1 + chunk.count)

        // Exactly at the limit it still waits; one more byte fails.
        var exact = HTTPRequestParser()
        exact.append([UInt8](repeating: UInt8(ascii: "G"), count: limit))
        XCTAssertNil(HTTPParse.drain(&exact).error)
        exact.append([UInt8(ascii: "G")])
        XCTAssertEqual(HTTPParse.drain(&exact).error, .uriTooLong)
    }

    func testCRAtTheLimitWaitsForItsLF() throws {
        var limits = HTTPLimits()
        limits.requestLine = 14
        var parser = HTTPRequestParser(limits: limits)
        parser.append(Array("GET / HTTP/1.1\r".utf8))
        XCTAssertNil(try parser.next())
        parser.append(Array("\nHost: a\r\n\r\n".utf8))
        XCTAssertEqual(try parser.next()?.path, "/")
    }

    func testHeaderCountLimit() {
        let limit = HTTPLimits().headerCount
        func request(headers: Int) -> String {
            "GET / HTTP/1.1\r\nHost: a\r\n" + (1..<headers).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        }
        XCTAssertNil(status(of: request(headers: limit)))
        XCTAssertEqual(status(of: request(headers: limit + 1)), 431)
    }

    func testHeaderCountLimitTripsBeforeTheHeadEnds() {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\n".utf8))
        var error: HTTPParseError?
        var lines = 0
        while error == nil, lines < 10_000 {
            parser.append(Array("X: y\r\n".utf8))
            lines += 1
            error = HTTPParse.drain(&parser).error
        }
        XCTAssertEqual(error, .headersTooLarge)
        XCTAssertEqual(lines, HTTPLimits().headerCount + 1)
    }

    func testHeaderBytesLimit() {
        let limit = HTTPLimits().headerBytes
        let hostLine = "Host: a"
        let filler = "X: " + String(repeating: "v", count: limit - hostLine.count - 3)
        XCTAssertNil(status(of: "GET / HTTP/1.1\r\n\(hostLine)\r\n\(filler)\r\n\r\n"))
        XCTAssertEqual(status(of: "GET / HTTP/1.1\r\n\(hostLine)\r\n\(filler)v\r\n\r\n"), 431)
    }

    func testOneEndlessHeaderLineTripsMidLine() {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\nX-Big: ".utf8))
        var sent = "Host: a".count + "X-Big: ".count
        var error: HTTPParseError?
        while error == nil, sent < 1_000_000 {
            parser.append([UInt8](repeating: UInt8(ascii: "z"), count: 100))
            sent += 100
            error = HTTPParse.drain(&parser).error
        }
        XCTAssertEqual(error, .headersTooLarge)
        XCTAssertLessThanOrEqual(sent, HTTPLimits().headerBytes + 100)
    }

    func testBodyLimitIsJudgedOnContentLengthAlone() throws {
        let limit = HTTPLimits().bodyBytes
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(limit + 1)\r\n\r\n".utf8))
        XCTAssertThrowsError(try parser.next()) { XCTAssertEqual($0 as? HTTPParseError, .payloadTooLarge) }
        XCTAssertEqual(status(of: "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n"), 413)

        var exact = HTTPRequestParser()
        exact.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(limit)\r\n\r\n".utf8))
        XCTAssertNil(try exact.next())
        exact.append([UInt8](repeating: 1, count: limit))
        XCTAssertEqual(try exact.next()?.body.count, limit)
    }

    func testCustomLimits() {
        var limits = HTTPLimits()
        limits.requestLine = 20
        limits.headerBytes = 30
        limits.headerCount = 2
        limits.bodyBytes = 4
        XCTAssertEqual(status(of: "GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n", limits: limits), 414)
        XCTAssertEqual(status(of: "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits), 431)
        XCTAssertEqual(status(of: "GET / HTTP/1.1\r\nHost: a\r\nA: 123456789012345678901\r\n", limits: limits), 431)
        XCTAssertEqual(status(of: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", limits: limits), 413)
        XCTAssertNil(status(of: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd", limits: limits))
    }

    func testLimitsResetBetweenRequests() {
        var limits = HTTPLimits()
        limits.headerCount = 2
        let one = "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n"
        let result = HTTPParse.all(String(repeating: one, count: 5), limits: limits)
        XCTAssertNil(result.error)
        XCTAssertEqual(result.requests.count, 5)
    }
}
