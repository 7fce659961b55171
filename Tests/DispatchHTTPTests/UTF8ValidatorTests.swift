import DispatchTestSupport
import DispatchHTTP
import XCTest

final class UTF8ValidatorTests: XCTestCase {
    /// Complete valid UTF-8, including every boundary of Markus Kuhn's stress test section 2.
    private let valid: [[UInt8]] = [
        [],
        Array("plain ASCII, long enough for the eight-byte stride".utf8),
        [0x00], [0x7F],
        [0xC2, 0x80], [0xDF, 0xBF],  // U+0080, U+07FF
        [0xE0, 0xA0, 0x80], [0xEF, 0xBF, 0xBF],  // U+0800, U+FFFF
        [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],  // either side of the surrogates
        [0xEF, 0xBF, 0xBD], [0xEF, 0xBF, 0xBE],  // U+FFFD, the noncharacter U+FFFE
        [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],  // U+10000, U+10FFFF
        [0xF1, 0x80, 0x80, 0x80], [0xF3, 0xBF, 0xBF, 0xBF],
        Array("κόσμε".utf8),
        Array("12345678κ12345678🧑‍💻".utf8),
    ]

    /// Invalid UTF-8 and the index of the first byte that rules it out.
    private let invalid: [(bytes: [UInt8], failsAt: Int)] = [
        ([0x80], 0), ([0xBF], 0), ([0x61, 0x80, 0x80], 1),  // lone continuations
        ([0xC0, 0x80], 0), ([0xC1, 0xBF], 0),  // overlong 2-byte
        ([0xE0, 0x80, 0x80], 1), ([0xE0, 0x9F, 0xBF], 1),  // overlong 3-byte
        ([0xF0, 0x80, 0x80, 0x80], 1), ([0xF0, 0x8F, 0xBF, 0xBF], 1),  // overlong 4-byte
        ([0xF8, 0x88, 0x80, 0x80, 0x80], 0), ([0xFC, 0x84, 0x80, 0x80, 0x80, 0x80], 0),  // 5 and 6 bytes
        ([0xED, 0xA0, 0x80], 1), ([0xED, 0xBF, 0xBF], 1),  // surrogates
        ([0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80], 1),  // a surrogate pair
        ([0xF4, 0x90, 0x80, 0x80], 1), ([0xF5, 0x80, 0x80, 0x80], 0), ([0xF7, 0xBF, 0xBF, 0xBF], 0),  // > U+10FFFF
        ([0xFE], 0), ([0xFF], 0), ([0xFE, 0xFE, 0xFF, 0xFF], 0),
        ([0xC2, 0x41], 1), ([0xE1, 0x80, 0x41], 2), ([0xF1, 0x80, 0x80, 0xC0], 3),  // cut short by another byte
        ([0xC2, 0xC2, 0x80], 1),
        (Array("κόσμε".utf8) + [0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64], 11),
        (Array("01234567".utf8) + Array("89abcdef".utf8) + [0x80], 16),
    ]

    /// Valid so far, but a character is unfinished.
    private let incomplete: [[UInt8]] = [
        [0xC2], [0xE0], [0xE0, 0xA0], [0xED, 0x9F], [0xF0, 0x90, 0x80], [0xF4, 0x8F], [0x61, 0xF3],
    ]

    func testValidSequences() {
        for bytes in valid {
            var validator = UTF8Validator()
            XCTAssertTrue(validator.feed(bytes), "\(bytes)")
            XCTAssertTrue(validator.isComplete, "\(bytes)")
            XCTAssertNotNil(decodedStrictly(bytes), "the table itself: \(bytes)")
        }
    }

    func testInvalidSequencesFailOnTheByteThatRulesThemOut() {
        for (bytes, failsAt) in invalid {
            XCTAssertNil(decodedStrictly(bytes), "the table itself: \(bytes)")
            var validator = UTF8Validator()
            for (index, byte) in bytes.enumerated() {
                let accepted = validator.feed([byte])
                XCTAssertEqual(accepted, index < failsAt, "\(bytes) at \(index)")
                if !accepted { break }
            }
            XCTAssertFalse(validator.isComplete)
            var whole = UTF8Validator()
            XCTAssertFalse(whole.feed(bytes), "\(bytes)")
        }
    }

    func testIncompleteSequences() {
        for bytes in incomplete {
            var validator = UTF8Validator()
            XCTAssertTrue(validator.feed(bytes), "\(bytes)")
            XCTAssertFalse(validator.isComplete, "\(bytes)")
        }
        var validator = UTF8Validator()
        XCTAssertTrue(validator.feed([0xF0, 0x9F]))
        XCTAssertTrue(validator.feed([0x98]))
        XCTAssertTrue(validator.feed([]))
        XCTAssertFalse(validator.isComplete)
        XCTAssertTrue(validator.feed([0x80]))
        XCTAssertTrue(validator.isComplete)
    }

    func testFailureIsSticky() {
        var validator = UTF8Validator()
        XCTAssertFalse(validator.feed([0xC0]))
        XCTAssertFalse(validator.feed(Array("fine".utf8)))
        XCTAssertFalse(validator.feed([]))
        XCTAssertFalse(validator.isComplete)
    }

    /// Random bytes, biased towards the lead and continuation bytes where the rules live,
    /// checked against the standard library's decoder, whole and split at a random point.
    func testRandomBytesAgainstTheStandardLibrary() {
        let interesting: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                    0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        var rng = SplitMix64(seed: 5)
        var validCount = 0
        for round in 0..<20_000 {
            let count = Int.random(in: 0...24, using: &rng)
            let bytes: [UInt8] = (0..<count).map { _ in
                rng.next() % 3 == 0 ? UInt8.random(in: 0...255, using: &rng) : interesting[Int(rng.next() % UInt64(interesting.count))]
            }
            let expected = decodedStrictly(bytes) != nil
            if expected { validCount += 1 }

            var whole = UTF8Validator()
            XCTAssertEqual(whole.feed(bytes) && whole.isComplete, expected, "round \(round): \(bytes)")

            let split = Int.random(in: 0...count, using: &rng)
            var pieces = UTF8Validator()
            let bothAccepted = pieces.feed(Array(bytes[..<split])) && pieces.feed(Array(bytes[split...]))
            XCTAssertEqual(bothAccepted && pieces.isComplete, expected, "round \(round) split \(split): \(bytes)")

            // It fails exactly at the first byte after which no continuation can make it valid.
            var stepwise = UTF8Validator()
            let failsAt = bytes.indices.first { !stepwise.feed([bytes[$0]]) }
            let reference = bytes.indices.first { !canBeCompleted(Array(bytes[...$0])) }
            XCTAssertEqual(failsAt, reference, "round \(round): \(bytes)")
        }
        XCTAssertGreaterThan(validCount, 1000, "the generator should produce a fair share of valid input")
    }

    /// The standard library's strict decoding: nil unless every byte is part of a valid scalar.
    private func decodedStrictly(_ bytes: [UInt8]) -> [Unicode.Scalar]? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars: [Unicode.Scalar] = []
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: return scalars
            case .error: return nil
            }
        }
    }

    /// Whether some 0-3 continuation bytes make `prefix` valid. Only the first added byte can
    /// face a narrowed range (after E0, ED, F0, F4), so one byte from each range suffices for it.
    private func canBeCompleted(_ prefix: [UInt8]) -> Bool {
        if decodedStrictly(prefix) != nil { return true }
        for extra in 1...3 {
            for first: UInt8 in [0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF] {
                let candidate = prefix + [first] + Array(repeating: 0x80, count: extra - 1)
                if decodedStrictly(candidate) != nil { return true }
            }
        }
        return false
    }
}
