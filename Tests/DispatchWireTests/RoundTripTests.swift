import DispatchWire
import XCTest

final class RoundTripTests: XCTestCase {
    func testEverySampleRoundTrips() {
        for message in Samples.messages {
            let frame = WireCodec.encode(message)
            XCTAssertEqual(decodeOne(frame), .success(message), "\(message)")
        }
    }

    func testEncodeIntoAppendsWholeFrames() {
        var stream: [UInt8] = [0xAA]  // pre-existing bytes must be left alone
        for message in Samples.messages { WireCodec.encode(message, into: &stream) }
        XCTAssertEqual(stream.first, 0xAA)
        let decoded = decodeAll(Array(stream.dropFirst()))
        XCTAssertEqual(decoded.messages, Samples.messages)
        XCTAssertNil(decoded.error)
    }

    func testExactBytesOfOneFrameOfEachShape() {
        XCTAssertEqual(WireCodec.encode(.ping(nonce: 0x0102_0304_0506_0708)),
                       [0, 0, 0, 9, 0x30, 1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(WireCodec.encode(.resize(cols: 80, rows: 24)), [0, 0, 0, 5, 0x11, 0, 80, 0, 24])
        XCTAssertEqual(WireCodec.encode(.input([7, 8])), [0, 0, 0, 3, 0x10, 7, 8])
        XCTAssertEqual(WireCodec.encode(.exit(seq: 1, .signaled(signal: -2))),
                       [0, 0, 0, 14, 0x22] + be64(1) + [1, 0xFF, 0xFF, 0xFF, 0xFE])
        XCTAssertEqual(WireCodec.encode(.close(reason: "é")), [0, 0, 0, 3, 0x3F, 0xC3, 0xA9])
        let hello = Hello(version: 1, sessionId: "ab", secret: [9], programPid: 3, lastSeq: 4)
        XCTAssertEqual(WireCodec.encode(.hello(hello)),
                       be32(1 + 4 + 2 + 4 + 2 + 4 + 1 + 4 + 8) + [0x01] + Array("DSPW".utf8) + be16(1)
                           + be32(2) + Array("ab".utf8) + be32(1) + [9] + be32(3) + be64(4))
        XCTAssertEqual(WireCodec.encode(.event(seq: 2, channel: "c", payload: [5])),
                       be32(1 + 8 + 4 + 1 + 1) + [0x21] + be64(2) + be32(1) + [0x63, 5])
        XCTAssertEqual(WireCodec.encode(.welcome(Welcome(resumeAfter: 6, window: 7))),
                       be32(15) + [0x02] + be16(1) + be64(6) + be32(7))
    }

    func testDefaultVersionIsTheProtocolVersion() {
        XCTAssertEqual(Hello(sessionId: "", secret: [], programPid: 0, lastSeq: 0).version, WireLimits.protocolVersion)
        XCTAssertEqual(Welcome(resumeAfter: 0, window: 0).version, WireLimits.protocolVersion)
        XCTAssertEqual(WireLimits.maxFrameLength, 1_048_576 + 64)
    }

    func testLargestFramesRoundTrip() {
        let limit = WireLimits.maxFrameLength
        let bytes = (0..<limit).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let largest: [WireMessage] = [
            .input(Array(bytes.prefix(limit - 1))),
            .output(seq: 3, bytes: Array(bytes.prefix(limit - 1 - 8))),
            .event(seq: 4, channel: "json", payload: Array(bytes.prefix(limit - 1 - 8 - 4 - 4))),
            .fatal(message: String(repeating: "é", count: (limit - 1) / 2) + String(repeating: "x", count: (limit - 1) % 2)),
            .close(reason: String(repeating: "x", count: limit - 1)),
        ]
        for message in largest {
            let frame = WireCodec.encode(message)
            XCTAssertEqual(frame.count, 4 + limit)
            XCTAssertEqual(decodeOne(frame), .success(message))
        }
        // One byte more and the receiver refuses it.
        let tooLarge = WireCodec.encode(.input(bytes))
        XCTAssertEqual(decodeOne(tooLarge), .failure(.frameTooLarge(length: limit + 1, limit: limit)))
    }

    func testDecodedStringsKeepTheirExactBytes() {
        // String == ignores normalisation, so compare bytes: "é" precomposed vs decomposed.
        for text in ["\u{E9}", "e\u{301}"] {
            guard case .success(.close(let reason)) = decodeOne(WireCodec.encode(.close(reason: text))) else {
                return XCTFail("close did not decode")
            }
            XCTAssertEqual(Array(reason.utf8), Array(text.utf8))
        }
    }
}
