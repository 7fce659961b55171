import DispatchWire
import XCTest

final class MalformedFrameTests: XCTestCase {
    private let limit = WireLimits.maxFrameLength

    func testOversizedLengthIsRejectedFromTheLengthBytesAlone() {
        for length in [UInt32(limit + 1), 0x7FFF_FFFF, 0xFFFF_FFFF] {
            var decoder = FrameDecoder()
            decoder.append(be32(length))
            XCTAssertThrowsError(try decoder.next()) {
                XCTAssertEqual($0 as? WireError, .frameTooLarge(length: Int(length), limit: limit))
            }
        }
    }

    func testLimitIsConfigurable() throws {
        var decoder = FrameDecoder(maxFrameLength: 9)
        decoder.append(WireCodec.encode(.ping(nonce: 1)) + WireCodec.encode(.input(Array(repeating: 0, count: 9))))
        XCTAssertEqual(try decoder.next(), .ping(nonce: 1))
        XCTAssertThrowsError(try decoder.next()) {
            XCTAssertEqual($0 as? WireError, .frameTooLarge(length: 10, limit: 9))
        }
    }

    func testEmptyFrame() {
        XCTAssertEqual(decodeOne([0, 0, 0, 0]), .failure(.emptyFrame))
    }

    func testUnknownTypes() {
        let known: Set<UInt8> = [0x01, 0x02, 0x10, 0x11, 0x20, 0x21, 0x22, 0x23, 0x30, 0x31, 0x32, 0x3F]
        for type in UInt8.min...UInt8.max where !known.contains(type) {
            XCTAssertEqual(decodeOne(rawFrame(type: type, body: be64(0))), .failure(.unknownType(type)))
        }
    }

    func testUnknownExitKind() {
        for kind: UInt8 in [2, 0xFF] {
            let frame = rawFrame(type: 0x22, body: be64(1) + [kind] + be32(0))
            XCTAssertEqual(decodeOne(frame), .failure(.unknownType(kind)))
        }
    }

    func testInvalidUTF8InEveryStringField() {
        let invalid: [[UInt8]] = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0x61, 0x80]]
        for bad in invalid {
            let hello = Array("DSPW".utf8) + be16(1) + be32(UInt32(bad.count)) + bad + be32(0) + be32(1) + be64(0)
            XCTAssertEqual(decodeOne(rawFrame(type: 0x01, body: hello)), .failure(.invalidUTF8(type: 0x01)))
            let event = be64(1) + be32(UInt32(bad.count)) + bad + [0xFF]  // the payload may be anything
            XCTAssertEqual(decodeOne(rawFrame(type: 0x21, body: event)), .failure(.invalidUTF8(type: 0x21)))
            XCTAssertEqual(decodeOne(rawFrame(type: 0x23, body: bad)), .failure(.invalidUTF8(type: 0x23)))
            XCTAssertEqual(decodeOne(rawFrame(type: 0x3F, body: bad)), .failure(.invalidUTF8(type: 0x3F)))
        }
    }

    func testBytesFieldsAcceptAnything() {
        let anything: [UInt8] = [0xFF, 0xC3, 0x00]
        XCTAssertEqual(decodeOne(rawFrame(type: 0x10, body: anything)), .success(.input(anything)))
        XCTAssertEqual(decodeOne(rawFrame(type: 0x20, body: be64(2) + anything)), .success(.output(seq: 2, bytes: anything)))
    }

    func testTrailingBytesAfterTheLastField() {
        let cases: [(WireMessage, Int)] = [
            (.hello(Hello(sessionId: "s", secret: [1], programPid: 2, lastSeq: 3)), 1),
            (.welcome(Welcome(resumeAfter: 1, window: 2)), 2),
            (.resize(cols: 1, rows: 2), 3),
            (.exit(seq: 1, .exited(code: 0)), 1),
            (.ping(nonce: 1), 8),
            (.pong(nonce: 1), 1),
            (.ack(seq: 1), 4),
        ]
        for (message, extra) in cases {
            let encoded = WireCodec.encode(message)
            let frame = rawFrame(type: encoded[4], body: Array(encoded[5...]) + Array(repeating: 0, count: extra))
            XCTAssertEqual(decodeOne(frame), .failure(.trailingBytes(type: encoded[4], count: extra)), "\(message)")
        }
    }

    func testBadMagic() {
        let encoded = WireCodec.encode(.hello(Hello(sessionId: "s", secret: [], programPid: 1, lastSeq: 0)))
        for index in 5..<9 {
            var frame = encoded
            frame[index] ^= 0x20  // "dspw" and friends are not the magic either
            XCTAssertEqual(decodeOne(frame), .failure(.badMagic))
        }
        // A peer speaking something else entirely, e.g. HTTP, fails on its first frame.
        XCTAssertThrowsError(try { var decoder = FrameDecoder(); decoder.append(Array("GET / HTTP/1.1\r\n".utf8)); _ = try decoder.next() }())
    }

    func testDecoderIsPoisonedAfterAnError() throws {
        var decoder = FrameDecoder()
        let good = WireCodec.encode(.ping(nonce: 7))
        decoder.append(good + rawFrame(type: 0x99, body: []) + good)
        XCTAssertEqual(try decoder.next(), .ping(nonce: 7))
        for _ in 0..<3 {
            XCTAssertThrowsError(try decoder.next()) { XCTAssertEqual($0 as? WireError, .unknownType(0x99)) }
        }
        // Further bytes change nothing: the peer is dropped, and its bytes are not kept.
        let buffered = decoder.bufferedByteCount
        decoder.append(good)
        XCTAssertEqual(decoder.bufferedByteCount, buffered)
        XCTAssertThrowsError(try decoder.next()) { XCTAssertEqual($0 as? WireError, .unknownType(0x99)) }
    }
}
