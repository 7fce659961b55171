import DispatchWire
import XCTest

final class TruncationTests: XCTestCase {
    func testEveryPrefixOfEveryFrameNeedsMoreBytes() throws {
        for message in Samples.messages {
            let frame = WireCodec.encode(message)
            var decoder = FrameDecoder()
            for cut in 0..<frame.count {
                var fresh = FrameDecoder()
                fresh.append(Array(frame.prefix(cut)))
                XCTAssertNil(try fresh.next(), "\(message) cut at \(cut)")
                XCTAssertEqual(fresh.bufferedByteCount, cut)
                // The same prefix reached byte by byte on one decoder.
                XCTAssertNil(try decoder.next())
                decoder.append([frame[cut]])
            }
            XCTAssertEqual(try decoder.next(), message)
        }
    }

    /// A frame whose declared length ends early: the fields it still holds decode, and a field
    /// that is cut off is `.truncated` (fixed width) or `.fieldTooLarge` (length-prefixed).
    func testEveryShortenedDeclaredLength() {
        for message in Samples.messages {
            let frame = WireCodec.encode(message)
            let typeCode = frame[4]
            let fixedEnd = frame.count - 4 - Samples.restLength(of: message)  // length at which the rest starts
            for length in 0..<frame.count - 4 {
                let short = be32(UInt32(length)) + frame[4..<4 + length]
                let result = decodeOne(short)
                if length == 0 {
                    XCTAssertEqual(result, .failure(.emptyFrame))
                } else if length < fixedEnd {
                    XCTAssert(
                        [.failure(.truncated(type: typeCode)), .failure(.fieldTooLarge(type: typeCode))].contains(result),
                        "\(message) length \(length): \(String(describing: result))")
                } else if case .failure(let error) = result {
                    // Cutting the rest is legal, except inside a multi-byte UTF-8 scalar.
                    XCTAssertEqual(error, .invalidUTF8(type: typeCode), "\(message) length \(length)")
                }
            }
        }
    }

    func testCutInsideAFixedFieldIsTruncated() {
        XCTAssertEqual(decodeOne(rawFrame(type: 0x30, body: [1, 2, 3])), .failure(.truncated(type: 0x30)))
        XCTAssertEqual(decodeOne(rawFrame(type: 0x11, body: [0, 80, 0])), .failure(.truncated(type: 0x11)))
        XCTAssertEqual(decodeOne(rawFrame(type: 0x20, body: [])), .failure(.truncated(type: 0x20)))
        XCTAssertEqual(decodeOne(rawFrame(type: 0x22, body: be64(1) + [0, 0, 0])), .failure(.truncated(type: 0x22)))
        // Too short to hold the magic is truncation, not bad magic.
        XCTAssertEqual(decodeOne(rawFrame(type: 0x01, body: Array("DSP".utf8))), .failure(.truncated(type: 0x01)))
        // The count of a length-prefixed field is itself a fixed field.
        XCTAssertEqual(decodeOne(rawFrame(type: 0x21, body: be64(1) + [0, 0])), .failure(.truncated(type: 0x21)))
    }

    func testPrefixedFieldLongerThanTheFrame() {
        let sessionClaimsTooMuch = Array("DSPW".utf8) + be16(1) + be32(100) + Array("abc".utf8)
        XCTAssertEqual(decodeOne(rawFrame(type: 0x01, body: sessionClaimsTooMuch)), .failure(.fieldTooLarge(type: 0x01)))
        let secretClaimsTooMuch = Array("DSPW".utf8) + be16(1) + be32(0) + be32(.max)
        XCTAssertEqual(decodeOne(rawFrame(type: 0x01, body: secretClaimsTooMuch)), .failure(.fieldTooLarge(type: 0x01)))
        let channelClaimsTooMuch = be64(1) + be32(5) + Array("four".utf8)
        XCTAssertEqual(decodeOne(rawFrame(type: 0x21, body: channelClaimsTooMuch)), .failure(.fieldTooLarge(type: 0x21)))
    }

    func testAFieldTooLargeForThisFrameIsNotReadFromTheNext() {
        // The channel count (5) is satisfied by the following ping frame's bytes in the buffer,
        // but the field must stay inside its own frame.
        let event = rawFrame(type: 0x21, body: be64(1) + be32(5) + Array("abc".utf8))
        let stream = event + WireCodec.encode(.ping(nonce: 1))
        XCTAssertEqual(decodeAll(stream).error, .fieldTooLarge(type: 0x21))
    }
}
