import DispatchTestSupport
import DispatchHTTP
import XCTest

final class WebSocketWriterTests: XCTestCase {
    func testBinaryLengthHeaders() {
        let cases: [(length: Int, header: [UInt8])] = [
            (0, [0x82, 0x00]),
            (125, [0x82, 125]),
            (126, [0x82, 126, 0x00, 0x7E]),
            (65535, [0x82, 126, 0xFF, 0xFF]),
            (65536, [0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]),
        ]
        for (length, header) in cases {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let frame = WebSocketWriter.frame(.binary(payload))
            XCTAssertEqual(Array(frame.prefix(header.count)), header, "length \(length)")
            XCTAssertEqual(Array(frame.dropFirst(header.count)), payload, "length \(length)")
        }
    }

    func testTextLengthHeaders() {
        for (length, header) in [(0, [0x81, 0x00]), (125, [0x81, 125]), (126, [0x81, 126, 0, 126]),
                                 (65535, [0x81, 126, 0xFF, 0xFF]), (65536, [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0])] as [(Int, [UInt8])] {
            let text = String(repeating: "a", count: length)
            let frame = WebSocketWriter.frame(.text(text))
            XCTAssertEqual(Array(frame.prefix(header.count)), header, "length \(length)")
            XCTAssertEqual(frame.count, header.count + length)
        }
    }

    func testAppendTextAppends() {
        var buffer: [UInt8] = [0xAA]
        WebSocketWriter.appendText("hé", to: &buffer)
        WebSocketWriter.appendText("", to: &buffer)
        XCTAssertEqual(buffer, [0xAA, 0x81, 3, 0x68, 0xC3, 0xA9, 0x81, 0])
        // Bridged or substring-backed text takes the same path.
        let sliced = String("xyz✓".dropFirst())
        XCTAssertEqual(WebSocketWriter.frame(.text(sliced)), [0x81, 5, 0x79, 0x7A, 0xE2, 0x9C, 0x93])
    }

    func testControlFrames() {
        XCTAssertEqual(WebSocketWriter.frame(.ping([1, 2])), [0x89, 2, 1, 2])
        XCTAssertEqual(WebSocketWriter.frame(.pong([])), [0x8A, 0])
        XCTAssertEqual(WebSocketWriter.frame(.close(code: nil, reason: "ignored")), [0x88, 0])
        XCTAssertEqual(WebSocketWriter.frame(.close(code: 1000, reason: "")), [0x88, 2, 0x03, 0xE8])
        XCTAssertEqual(WebSocketWriter.frame(.close(code: 4001, reason: "bye")), [0x88, 5, 0x0F, 0xA1, 0x62, 0x79, 0x65])
    }

    func testOversizedPingIsTruncatedTo125Bytes() {
        let frame = WebSocketWriter.frame(.ping(Array(repeating: 3, count: 300)))
        XCTAssertEqual(frame, [0x89, 125] + Array(repeating: 3, count: 125))
    }

    func testCloseReasonIsTruncatedAtACharacterBoundary() {
        let reasons = [
            String(repeating: "x", count: 200),
            String(repeating: "é", count: 100),  // 2 bytes each: 61 fit in 123
            String(repeating: "日", count: 60),  // 3 bytes each: 41 fit
            String(repeating: "🧑‍💻", count: 20),  // 11 bytes each: 11 fit
            "a" + String(repeating: "🎉", count: 40),
        ]
        for reason in reasons {
            let frame = WebSocketWriter.frame(.close(code: 1011, reason: reason))
            XCTAssertLessThanOrEqual(frame.count, 2 + 125)
            XCTAssertEqual(Int(frame[1]), frame.count - 2)
            let kept = String(decoding: frame[4...], as: UTF8.self)
            XCTAssertTrue(reason.hasPrefix(kept), reason)
            XCTAssertEqual(kept.count, reason.prefix(kept.count).count)
            // Nothing more would have fit: the next character overflows.
            let next = reason.dropFirst(kept.count).first.map { String($0).utf8.count } ?? 0
            XCTAssertGreaterThan(frame.count - 4 + next, 123, reason)
        }
        let exact = String(repeating: "z", count: 123)
        XCTAssertEqual(WebSocketWriter.frame(.close(code: 1000, reason: exact)).count, 127)
    }

    func testFramesAreUnmaskedAndFinal() {
        let messages: [WebSocketMessage] = [.text("t"), .binary([1]), .ping([]), .pong([2]), .close(code: 1000, reason: "r")]
        for message in messages {
            let frame = WebSocketWriter.frame(message)
            XCTAssertEqual(frame[0] & 0xF0, 0x80, "\(message)")
            XCTAssertEqual(frame[1] & 0x80, 0, "\(message)")
        }
    }

    func testRoundTripThroughTheReader() {
        var rng = SplitMix64(seed: 4)
        var stream: [UInt8] = []
        var messages: [WebSocketMessage] = []
        for round in 0..<500 {
            let count = Int.random(in: 0...(round % 40 == 0 ? 70_000 : 130), using: &rng)
            let message: WebSocketMessage
            switch rng.next() % 5 {
            case 0: message = .binary(rng.bytes(count))
            case 1: message = .ping(rng.bytes(min(count, 125)))
            case 2: message = .pong(rng.bytes(min(count, 125)))
            case 3: message = .close(code: 3000 + UInt16(count % 2000), reason: String(repeating: "ü", count: count % 62))
            default:
                let scalars = (0..<count).compactMap { _ in Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &rng)) }
                message = .text(String(String.UnicodeScalarView(scalars)))
            }
            messages.append(message)
            stream += WebSocketWriter.frame(message)
        }
        let outcome = WebSocketFixtures.read(stream, maxMessageBytes: 1 << 22, requireMasked: false)
        XCTAssertNil(outcome.error)
        XCTAssertEqual(outcome.messages, messages)
    }
}
