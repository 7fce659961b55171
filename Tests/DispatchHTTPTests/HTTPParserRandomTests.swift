import DispatchTestSupport
import DispatchHTTP
import XCTest

/// Garbage must only ever produce requests or an `HTTPParseError`, never a trap, and the verdict
/// must not depend on how the bytes were split.
final class HTTPParserRandomTests: XCTestCase {
    private static let fragments: [String] = [
        "GET", "POST", "PUT", "OPTIONS", " ", "  ", "/", "/a?b=c", "*", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0",
        "\r\n", "\n", "\r", "\t", ":", ": ", "Host", "Host: x", "Content-Length", "Content-Length: 3",
        "Content-Length: 99999999999999999999", "Transfer-Encoding: chunked", "Connection: close", "abc", "\u{0}",
        "\u{7F}", "é",
    ]

    func testRandomBytesNeverTrap() {
        var limits = HTTPLimits()
        // Small limits so random inputs reach them too.
        limits.requestLine = 64
        limits.headerBytes = 128
        limits.headerCount = 6
        limits.bodyBytes = 16
        var rng = SplitMix64(seed: 42)
        for round in 0..<10_000 {
            let input = garbage(&rng)
            let whole = HTTPParse.all(input, limits: limits)

            let split = Int.random(in: 0...input.count, using: &rng)
            var parser = HTTPRequestParser(limits: limits)
            parser.append(Array(input[..<split]))
            var pieces = HTTPParse.drain(&parser)
            if pieces.error == nil {
                parser.append(Array(input[split...]))
                let rest = HTTPParse.drain(&parser)
                pieces = (pieces.requests + rest.requests, rest.error)
            }
            XCTAssertEqual(pieces.requests, whole.requests, "round \(round)")
            XCTAssertEqual(pieces.error, whole.error, "round \(round)")
            if pieces.error == nil { _ = parser.takeBufferedBytes() }

            for request in whole.requests {
                XCTAssertTrue(request.target.hasPrefix("/") || request.target == "*", "round \(round)")
                XCTAssertLessThanOrEqual(request.body.count, limits.bodyBytes)
                _ = request.keepAlive
                _ = request.queryValue("b")
            }
        }
    }

    /// Mostly a valid request with a few bytes mutated, so parsing gets past the request line into
    /// the header and body rules; sometimes fragments glued at random; sometimes pure noise.
    private func garbage(_ rng: inout SplitMix64) -> [UInt8] {
        switch rng.next() % 4 {
        case 0:
            return (0..<Int.random(in: 0...96, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case 1:
            let count = Int.random(in: 1...24, using: &rng)
            let pieces = (0..<count).map { _ in Self.fragments[Int.random(in: 0..<Self.fragments.count, using: &rng)] }
            return Array(pieces.joined().utf8)
        default:
            var bytes = Array(
                "POST /a?b=c%20d HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                    .utf8)
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch rng.next() % 3 {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: index)
                default: bytes.insert(Array(" :\r\n\t0/".utf8)[Int(rng.next() % 7)], at: index)
                }
            }
            return bytes
        }
    }
}
