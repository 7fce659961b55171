import DispatchTestSupport
@testable import DispatchWorker
import XCTest

final class UTF8BoundaryTests: XCTestCase {
    private func cut(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { UTF8Boundary.completePrefixLength(of: $0) }
    }

    /// One character of each encoded length, including the extremes of each length.
    private let characters: [[UInt8]] = [
        "\u{80}", "é", "\u{7FF}",  // 2 bytes
        "\u{800}", "€", "\u{D7FF}", "\u{E000}", "\u{FFFF}",  // 3 bytes
        "\u{10000}", "🧑", "\u{10FFFF}",  // 4 bytes
    ].map { Array($0.utf8) }

    func testEmptyAndASCII() {
        XCTAssertEqual(cut([]), 0)
        XCTAssertEqual(cut([0x00]), 1)
        XCTAssertEqual(cut(Array("hello, world\r\n".utf8)), 14)
        XCTAssertEqual(cut([0x7F]), 1)
    }

    func testCompleteCharactersAreNotHeldBack() {
        for char in characters {
            XCTAssertEqual(cut(char), char.count, "\(char)")
            XCTAssertEqual(cut(Array("ab".utf8) + char), char.count + 2, "\(char)")
            XCTAssertEqual(cut(char + char), char.count * 2, "\(char)")
        }
        XCTAssertEqual(Set(characters.map(\.count)), [2, 3, 4])
    }

    func testEveryProperPrefixIsHeldBack() {
        for char in characters {
            for length in 1..<char.count {
                let partial = Array(char[..<length])
                XCTAssertEqual(cut(partial), 0, "\(partial)")
                XCTAssertEqual(cut([0x41] + partial), 1, "\(partial)")
            }
        }
    }

    func testCompleteCharacterFollowedByPartialOne() {
        for first in characters {
            for second in characters {
                for length in 1..<second.count {
                    let bytes = first + second[..<length]
                    XCTAssertEqual(cut(bytes), first.count, "\(bytes)")
                }
            }
        }
    }

    func testLoneContinuationBytesAreNotHeldBack() {
        XCTAssertEqual(cut([0x80]), 1)
        XCTAssertEqual(cut([0xBF, 0xBF]), 2)
        XCTAssertEqual(cut([0x80, 0x80, 0x80]), 3)
        XCTAssertEqual(cut([0x80, 0x80, 0x80, 0x80, 0x80]), 5)
        XCTAssertEqual(cut(Array("a".utf8) + [0x80, 0x80]), 3)
        // More continuation bytes than the lead announces: the surplus is invalid, nothing to wait for.
        XCTAssertEqual(cut([0xC3, 0xA9, 0x80]), 3)
        XCTAssertEqual(cut([0xE2, 0x82, 0xAC, 0x80]), 4)
        XCTAssertEqual(cut([0xF0, 0x9F, 0xA7, 0x91, 0x80]), 5)
        // A 4-byte lead more than 3 bytes back is out of reach: the tail is not held.
        XCTAssertEqual(cut([0xF0, 0x80, 0x80, 0x80, 0x80]), 5)
    }

    func testInvalidLeadBytesAreNotHeldBack() {
        for lead: UInt8 in [0xC0, 0xC1] + Array(0xF5...0xFF) {
            XCTAssertEqual(cut([lead]), 1, "\(lead)")
            XCTAssertEqual(cut([lead, 0x80]), 2, "\(lead)")
            XCTAssertEqual(cut([0x41, lead, 0x80, 0x80]), 4, "\(lead)")
        }
        // The valid lead bytes right next to them are held.
        for lead: UInt8 in [0xC2, 0xDF, 0xE0, 0xEF, 0xF0, 0xF4] {
            XCTAssertEqual(cut([0x41, lead]), 1, "\(lead)")
        }
    }

    /// Any input: at most 3 bytes are held back, and only a valid lead byte followed by fewer
    /// continuation bytes than it announces.
    func testRandomBytesHoldBackOnlyAnIncompleteTail() {
        var rng = SplitMix64(seed: 0xB0B)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...8, using: &rng)
            // Bias towards bytes >= 0x80 so that sequences are common.
            let bytes = (0..<count).map { _ in UInt8.random(in: 0x70...0xFF, using: &rng) }
            let length = cut(bytes)
            XCTAssertLessThanOrEqual(length, bytes.count)
            guard length < bytes.count else { continue }
            let held = Array(bytes[length...])
            let needed: Int
            switch held[0] {
            case 0xC2...0xDF: needed = 2
            case 0xE0...0xEF: needed = 3
            case 0xF0...0xF4: needed = 4
            default: needed = 0
            }
            XCTAssertLessThan(held.count, needed, "\(bytes)")
            XCTAssertTrue(held.dropFirst().allSatisfy { $0 & 0xC0 == 0x80 }, "\(bytes)")
        }
    }

    // MARK: property: feeding through a carry, as the worker does

    private struct Carry {
        var carry: [UInt8] = []
        var chunks: [[UInt8]] = []

        mutating func feed(_ bytes: ArraySlice<UInt8>) {
            var chunk = carry
            chunk.append(contentsOf: bytes)
            let cut = chunk.withUnsafeBytes { UTF8Boundary.completePrefixLength(of: $0) }
            carry = Array(chunk[cut...])
            chunks.append(Array(chunk[..<cut]))
        }
    }

    private func check(_ string: String, pieces: [Range<Int>], file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array(string.utf8)
        var feeder = Carry()
        for piece in pieces {
            feeder.feed(bytes[piece])
            XCTAssertLessThanOrEqual(feeder.carry.count, 3, file: file, line: line)
        }
        XCTAssertEqual(feeder.carry, [], "\(string) \(pieces)", file: file, line: line)
        for chunk in feeder.chunks {
            let decoded = String(decoding: chunk, as: UTF8.self)
            XCTAssertFalse(decoded.unicodeScalars.contains("\u{FFFD}"), "\(string) \(pieces)", file: file, line: line)
            XCTAssertNotNil(String(validating: chunk, as: UTF8.self), "\(string) \(pieces)", file: file, line: line)
        }
        XCTAssertEqual(feeder.chunks.flatMap { $0 }, bytes, file: file, line: line)
        XCTAssertEqual(feeder.chunks.map { String(decoding: $0, as: UTF8.self) }.joined(), string, file: file, line: line)
    }

    func testSplittingRandomStringsAnywhereNeverBreaksACharacter() {
        // No U+FFFD in the pool, so any U+FFFD in the output is a broken character.
        let pool: [Unicode.Scalar] = [
            "a", "Z", " ", "\n", "\u{0}", "\u{7F}", "\u{80}", "é", "ß", "\u{7FF}", "\u{800}", "€", "日", "本",
            "\u{D7FF}", "\u{E000}", "\u{FFFC}", "\u{FFFF}", "\u{10000}", "🧑", "💻", "\u{200D}", "\u{10FFFF}",
        ]
        var rng = SplitMix64(seed: 42)
        var checked = 0
        for _ in 0..<300 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...24, using: &rng) {
                scalars.append(pool.randomElement(using: &rng)!)
            }
            let string = String(scalars)
            let count = string.utf8.count
            // Two pieces, split at every byte offset.
            for offset in 0...count {
                check(string, pieces: [0..<offset, offset..<count])
                checked += 1
            }
            // One byte at a time.
            check(string, pieces: (0..<count).map { $0..<($0 + 1) })
            // Random pieces, some empty.
            var pieces: [Range<Int>] = []
            var start = 0
            while start < count {
                let end = min(count, start + Int.random(in: 0...5, using: &rng))
                pieces.append(start..<end)
                start = end
            }
            check(string, pieces: pieces)
        }
        XCTAssertGreaterThan(checked, 1000)
    }
}
