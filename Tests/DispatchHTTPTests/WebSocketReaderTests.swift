import DispatchTestSupport
import DispatchHTTP
import XCTest

private typealias F = WebSocketFixtures

final class WebSocketReaderTests: XCTestCase {
    /// RFC 6455 5.7's examples, byte for byte.
    func testRFCExamples() {
        let maskedHello: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        XCTAssertEqual(F.read(maskedHello).messages, [.text("Hello")])

        let unmasked: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
        XCTAssertEqual(F.read(unmasked, requireMasked: false).messages, [.text("Hello")])

        let fragmented: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F]
        XCTAssertEqual(F.read(fragmented, requireMasked: false).messages, [.text("Hello")])

        let ping: [UInt8] = [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
        XCTAssertEqual(F.read(ping, requireMasked: false).messages, [.ping(Array("Hello".utf8))])

        let maskedPong: [UInt8] = [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        XCTAssertEqual(F.read(maskedPong).messages, [.pong(Array("Hello".utf8))])

        let sixteenBit: [UInt8] = [0x82, 0x7E, 0x01, 0x00] + Array(repeating: 7, count: 256)
        XCTAssertEqual(F.read(sixteenBit, requireMasked: false).messages, [.binary(Array(repeating: 7, count: 256))])

        let sixtyFourBit: [UInt8] = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0] + Array(repeating: 9, count: 65536)
        XCTAssertEqual(F.read(sixtyFourBit, requireMasked: false).messages, [.binary(Array(repeating: 9, count: 65536))])
    }

    func testMaskedTextAndBinary() {
        let text = "héllo wörld – ✓ 日本語 🧑‍💻"
        var rng = SplitMix64(seed: 1)
        let bytes = rng.bytes(300)
        XCTAssertEqual(F.read(F.text(text) + F.binary(bytes)).messages, [.text(text), .binary(bytes)])
        XCTAssertEqual(F.read(F.text("") + F.binary([])).messages, [.text(""), .binary([])])
    }

    /// Every length around the 7/16/64-bit boundaries and the 8-byte unmasking stride.
    func testLengths() {
        var rng = SplitMix64(seed: 2)
        for length in [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 125, 126, 127, 65535, 65536, 100_003] {
            let payload = rng.bytes(length)
            let mask = rng.bytes(4)
            let frame = F.frame(opcode: 0x2, payload, mask: mask)
            XCTAssertEqual(F.read(frame).messages, [.binary(payload)], "length \(length)")
        }
    }

    /// RFC 6455 asks for the minimal length encoding, but nothing is gained by refusing a
    /// longer one, and the reader doesn't.
    func testNonMinimalLengthEncodingsAreAccepted() {
        XCTAssertEqual(F.read(F.frame(opcode: 0x1, Array("hi".utf8), length: .sixteen)).messages, [.text("hi")])
        XCTAssertEqual(F.read(F.frame(opcode: 0x1, Array("hi".utf8), length: .sixtyFour)).messages, [.text("hi")])
    }

    private var mixedStream: [UInt8] {
        F.text("first")
            + F.binary([0, 1, 2, 0xFF])
            + F.text("κό", fin: false) + F.ping([1, 2]) + F.continuation(Array("σμε".utf8), fin: false)
            + F.continuation([], fin: true)
            + F.frame(opcode: 0x2, Array(repeating: 0xAB, count: 300))
            + F.frame(opcode: 0xA, [])
            + F.close(code: 1000, reason: Array("bye".utf8))
    }

    private let mixedMessages: [WebSocketMessage] = [
        .text("first"),
        .binary([0, 1, 2, 0xFF]),
        .ping([1, 2]),
        .text("κόσμε"),
        .binary(Array(repeating: 0xAB, count: 300)),
        .pong([]),
        .close(code: 1000, reason: "bye"),
    ]

    func testSeveralFramesInOneAppend() {
        let outcome = F.read(mixedStream)
        XCTAssertEqual(outcome.messages, mixedMessages)
        XCTAssertNil(outcome.error)
    }

    func testSplitInTwoAtEveryByte() {
        let stream = mixedStream
        for split in 0...stream.count {
            let outcome = F.read(chunks: [Array(stream[..<split]), Array(stream[split...])])
            XCTAssertEqual(outcome.messages, mixedMessages, "split at \(split)")
            XCTAssertNil(outcome.error, "split at \(split)")
        }
    }

    func testOneByteAtATime() {
        let outcome = F.read(chunks: mixedStream.map { [$0] })
        XCTAssertEqual(outcome.messages, mixedMessages)
        XCTAssertNil(outcome.error)
    }

    func testUnsafeRawBufferAppend() {
        var reader = WebSocketReader()
        mixedStream.withUnsafeBytes { reader.append($0) }
        XCTAssertEqual(F.drain(&reader).messages, mixedMessages)
    }

    func testNothingIsReturnedUntilTheFrameIsWhole() throws {
        let frame = F.text("hello")
        var reader = WebSocketReader()
        for byte in frame.dropLast() {
            reader.append([byte])
            XCTAssertNil(try reader.next())
        }
        reader.append([frame[frame.count - 1]])
        XCTAssertEqual(try reader.next(), .text("hello"))
        XCTAssertNil(try reader.next())
    }

    func testControlFramesBetweenFragmentsComeFirst() {
        let stream = F.binary([1], fin: false) + F.ping(Array("p".utf8))
            + F.continuation([2], fin: false) + F.frame(opcode: 0xA, [9])
            + F.continuation([3], fin: true)
        XCTAssertEqual(F.read(stream).messages, [.ping(Array("p".utf8)), .pong([9]), .binary([1, 2, 3])])
    }

    func testFragmentedMessagesOneAfterAnother() {
        let stream = F.text("a", fin: false) + F.continuation(Array("b".utf8), fin: true)
            + F.binary([], fin: false) + F.continuation([], fin: false) + F.continuation([5], fin: true)
            + F.text("c")
        XCTAssertEqual(F.read(stream).messages, [.text("ab"), .binary([5]), .text("c")])
    }

    /// Autobahn 6.2-6.3 style: valid multi-byte text split mid-character across fragments passes.
    func testValidTextSplitMidCharacterAcrossFragments() {
        let text = "κόσμε 🧑‍💻 \u{10FFFF}\u{FFFF}\u{800}"
        let bytes = Array(text.utf8)
        for split in 0...bytes.count {
            let frames = F.frame(opcode: 0x1, Array(bytes[..<split]), fin: false)
                + F.continuation(Array(bytes[split...]), fin: true)
            XCTAssertEqual(F.read(frames).messages, [.text(text)], "split at \(split)")
        }
        let bytePerFragment = bytes.enumerated().flatMap { index, byte in
            F.frame(opcode: index == 0 ? 0x1 : 0x0, [byte], fin: index == bytes.count - 1)
        }
        XCTAssertEqual(F.read(bytePerFragment).messages, [.text(text)])
    }

    func testCloseFrames() {
        XCTAssertEqual(F.read(F.frame(opcode: 0x8, [])).messages, [.close(code: nil, reason: "")])
        XCTAssertEqual(F.read(F.close(code: 1000)).messages, [.close(code: 1000, reason: "")])
        let reason = "déjà vu"
        XCTAssertEqual(F.read(F.close(code: 4999, reason: Array(reason.utf8))).messages, [.close(code: 4999, reason: reason)])
        let longest = Array(repeating: UInt8(ascii: "x"), count: 123)
        XCTAssertEqual(F.read(F.close(code: 1001, reason: longest)).messages,
                       [.close(code: 1001, reason: String(repeating: "x", count: 123))])
    }

    func testValidCloseCodes() {
        for code in Array(1000...1003) + Array(1007...1011) + [3000, 3999, 4000, 4999] {
            XCTAssertEqual(F.read(F.close(code: UInt16(code))).messages, [.close(code: UInt16(code), reason: "")], "code \(code)")
        }
    }

    func testMessagesExactlyAtTheLimitPass() {
        let limit = 1000
        let whole = Array(repeating: UInt8(1), count: limit)
        XCTAssertEqual(F.read(F.binary(whole), maxMessageBytes: limit).messages, [.binary(whole)])
        let stream = F.binary(Array(whole[..<600]), fin: false)
            + F.ping(Array(repeating: 0, count: 125))  // control frames don't count
            + F.continuation(Array(whole[600...]), fin: true)
        let outcome = F.read(stream, maxMessageBytes: limit)
        XCTAssertEqual(outcome.messages, [.ping(Array(repeating: 0, count: 125)), .binary(whole)])
        XCTAssertNil(outcome.error)
    }

    func testUnmaskedFramesAreAllowedWhenNotRequired() {
        let stream = F.frame(opcode: 0x1, Array("plain".utf8), mask: nil) + F.text("masked")
        XCTAssertEqual(F.read(stream, requireMasked: false).messages, [.text("plain"), .text("masked")])
    }

    /// A long-lived reader keeps decoding correctly while it reclaims consumed bytes.
    func testManyMessagesThroughOneReader() {
        var rng = SplitMix64(seed: 3)
        var reader = WebSocketReader()
        var expected: [WebSocketMessage] = []
        var received: [WebSocketMessage] = []
        var pending: [UInt8] = []
        for round in 0..<2000 {
            let payload = rng.bytes(Int.random(in: 0...(round % 50 == 0 ? 70_000 : 200), using: &rng))
            expected.append(.binary(payload))
            pending += F.frame(opcode: 0x2, payload, mask: rng.bytes(4))
            let cut = Int.random(in: 0...pending.count, using: &rng)
            reader.append(Array(pending[..<cut]))
            pending.removeFirst(cut)
            let step = F.drain(&reader)
            XCTAssertNil(step.error)
            received += step.messages
        }
        reader.append(pending)
        received += F.drain(&reader).messages
        XCTAssertEqual(received, expected)
    }
}
