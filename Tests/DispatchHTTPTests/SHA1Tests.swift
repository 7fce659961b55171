import DispatchHTTP
import XCTest

final class SHA1Tests: XCTestCase {
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }

    private func sha1(_ text: String) -> String { Self.hex(SHA1.hash(Array(text.utf8))) }

    func testEmpty() {
        XCTAssertEqual(sha1(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    // RFC 3174 §7.3, TEST1 to TEST4.
    func testRFC3174Vectors() {
        XCTAssertEqual(sha1("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d")
        XCTAssertEqual(
            sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        XCTAssertEqual(sha1(String(repeating: "a", count: 1_000_000)), "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        XCTAssertEqual(sha1(String(repeating: "01234567", count: 80)), "dea356a2cddd90c7a7ecedc5ebb563934f460452")
    }

    /// Lengths around the padding boundaries (55/56 bytes decide between one and two tail blocks),
    /// checked against Python's hashlib.
    func testPaddingBoundaries() {
        let expected: [Int: String] = [
            55: "ddf57317ef34bfee3b6df83d359098930eb278bc",
            56: "a0d492bb0fc889d0eca3bc137066ab6f4f74f369",
            57: "11a02dcf95859677a62e75024067c22b165d890f",
            63: "c55856749bef509bdfe6bfebfc7bf4e793e82132",
            64: "bede92be29c3874e1b54ddc77988d606fc857a8e",
            65: "b05a80522b053d6dc7e0a517d0e70212c7dad11f",
            119: "504e27376a6e0f0dba8295b85cb25dc4dfa17d23",
            120: "82134b02fb3f702491be9bed581eeab59334acb2",
            127: "34d5e582029e9b9b85b2febe31da3db7cdabaaea",
            128: "a09133e6730ffe899efb70204cb5646cd5dc24ee",
            129: "808aea332ce367541d37adae7f94e59c5c1a934e",
        ]
        for (length, digest) in expected {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
            XCTAssertEqual(Self.hex(SHA1.hash(message)), digest, "length \(length)")
        }
    }

    /// RFC 6455 §1.3: the handshake this implementation exists for.
    func testWebSocketAcceptKey() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==" + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        XCTAssertEqual(Base64.encode(SHA1.hash(Array(key.utf8))), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }
}
