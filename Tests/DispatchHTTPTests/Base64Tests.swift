import DispatchTestSupport
import DispatchHTTP
import XCTest

final class Base64Tests: XCTestCase {
    // RFC 4648 §10.
    private let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    func testRFC4648Vectors() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.decode(encoded), Array(plain.utf8), encoded)
        }
    }

    func testWholeAlphabetAndAllByteValues() {
        let bytes = (0...255).map(UInt8.init)
        let encoded = Base64.encode(bytes)
        XCTAssertTrue(encoded.contains("+") && encoded.contains("/"))
        XCTAssertEqual(Base64.decode(encoded), bytes)
        XCTAssertEqual(Base64.encode([0xFB, 0xFF]), "+/8=")
    }

    func testRoundTripsEveryLengthUpTo300() {
        var rng = SplitMix64(seed: 7)
        for length in 0...300 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let encoded = Base64.encode(bytes)
            XCTAssertEqual(encoded.utf8.count, (length + 2) / 3 * 4)
            XCTAssertEqual(Base64.decode(encoded), bytes, "length \(length)")
        }
    }

    func testRejectsMalformedInput() {
        let bad = [
            "Zg", "Zg=", "Z", "Zm9", "Zm9vY",  // length not a multiple of 4
            "Zg==Zg==", "Zm8=Zm9v", "=Zm9", "====", "Z===",  // padding anywhere but the end
            "Zm=v", "Zm9v=A==",  // "=" followed by data
            "Zh==", "Zm9=", "Zm9vYh==",  // non-zero bits under the padding
            "Zm9v YmFy", "Zm9v\nYmFy", " Zm9v", "Zm9v\r\n", "Zm9v\t",  // whitespace
            "Zm-v", "Zm_v", "Zm9v!", "Zm9\u{0}",  // outside the standard alphabet
            "Zm9é", "Zm9vYmE\u{FF}",  // non-ASCII
        ]
        for text in bad {
            XCTAssertNil(Base64.decode(text), text.debugDescription)
        }
    }

    func testRandomTextNeverTraps() {
        var rng = SplitMix64(seed: 99)
        let pool = Array("AZaz09+/=-_ \n\u{0}é".utf8)
        for _ in 0..<10_000 {
            let bytes = (0..<Int.random(in: 0...16, using: &rng)).map { _ in pool[Int.random(in: 0..<pool.count, using: &rng)] }
            let text = String(decoding: bytes, as: UTF8.self)
            // Strictness means a successful decode re-encodes to exactly the input.
            if let decoded = Base64.decode(text) { XCTAssertEqual(Base64.encode(decoded), text) }
        }
    }
}
