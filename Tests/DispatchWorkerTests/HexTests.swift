import DispatchTestSupport
import DispatchPosix
import XCTest

final class HexTests: XCTestCase {
    func testEncodeKnownBytes() {
        XCTAssertEqual(Hex.encode([]), "")
        XCTAssertEqual(Hex.encode([0x00, 0x0F, 0xF0, 0xFF, 0xAB, 0x19]), "000ff0ffab19")
        XCTAssertEqual(Hex.encode(Array(0...255)).count, 512)
    }

    func testDecodeKnownText() {
        XCTAssertEqual(Hex.decode("000ff0ffab19".utf8), [0x00, 0x0F, 0xF0, 0xFF, 0xAB, 0x19])
        XCTAssertEqual(Hex.decode("0123456789abcdef".utf8), [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF])
    }

    func testUpperAndMixedCaseAccepted() {
        XCTAssertEqual(Hex.decode("ABCDEF".utf8), [0xAB, 0xCD, 0xEF])
        XCTAssertEqual(Hex.decode("aBcDeF".utf8), [0xAB, 0xCD, 0xEF])
        XCTAssertEqual(Hex.decode(Hex.encode(Array(0...255)).uppercased().utf8), Array(0...255))
    }

    func testRoundTripOfRandomBytes() {
        var rng = SplitMix64(seed: 0x4E58)
        XCTAssertEqual(Hex.decode(Hex.encode(Array(0...255)).utf8), Array(0...255))
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Hex.encode(bytes)
            XCTAssertEqual(text.utf8.count, bytes.count * 2)
            XCTAssertEqual(Hex.decode(text.utf8), bytes)
        }
    }

    func testRejectsOddLengthEmptyAndNonHex() {
        XCTAssertNil(Hex.decode("".utf8))
        XCTAssertNil(Hex.decode("a".utf8))
        XCTAssertNil(Hex.decode("abc".utf8))
        XCTAssertNil(Hex.decode("0x12".utf8))
        XCTAssertNil(Hex.decode("12 3".utf8))
        XCTAssertNil(Hex.decode("é0".utf8))
        // The characters just outside each accepted range, in either position.
        for char in ["/", ":", "@", "G", "`", "g", "z", "\n"] {
            XCTAssertNil(Hex.decode(("0" + char).utf8), char)
            XCTAssertNil(Hex.decode((char + "0").utf8), char)
            XCTAssertNil(Hex.decode(("abcd" + char + "0").utf8), char)
        }
    }
}
