import DispatchTestSupport
import DispatchWire
import XCTest

final class ChunkingTests: XCTestCase {
    private let stream: [UInt8] = {
        var bytes: [UInt8] = []
        for message in Samples.messages { WireCodec.encode(message, into: &bytes) }
        return bytes
    }()

    func testSeveralFramesInOneAppend() {
        let decoded = decodeAll(stream)
        XCTAssertEqual(decoded.messages, Samples.messages)
        XCTAssertNil(decoded.error)
    }

    func testStreamSplitInTwoAtEveryByte() throws {
        for split in 0...stream.count {
            var decoder = FrameDecoder()
            decoder.append(Array(stream[..<split]))
            var messages = drain(&decoder).messages
            decoder.append(Array(stream[split...]))
            let rest = drain(&decoder)
            messages += rest.messages
            XCTAssertNil(rest.error)
            XCTAssertEqual(messages, Samples.messages, "split at \(split)")
            XCTAssertEqual(decoder.bufferedByteCount, 0)
        }
    }

    func testOneByteAtATime() {
        var decoder = FrameDecoder()
        var messages: [WireMessage] = []
        for byte in stream {
            decoder.append([byte])
            let step = drain(&decoder)
            XCTAssertNil(step.error)
            messages += step.messages
        }
        XCTAssertEqual(messages, Samples.messages)
    }

    func testRawBufferAppendMatchesArrayAppend() {
        var decoder = FrameDecoder()
        var messages: [WireMessage] = []
        for chunkStart in stride(from: 0, to: stream.count, by: 7) {
            stream[chunkStart..<min(chunkStart + 7, stream.count)].withUnsafeBytes { decoder.append($0) }
            messages += drain(&decoder).messages
        }
        XCTAssertEqual(messages, Samples.messages)
    }

    func testRandomValidStreamsRechunkedRandomly() {
        var rng = SplitMix64(seed: 0xD15_7A7C)
        for round in 0..<200 {
            let messages = (0..<Int.random(in: 1...40, using: &rng)).map { _ in Samples.random(using: &rng) }
            var bytes: [UInt8] = []
            for message in messages { WireCodec.encode(message, into: &bytes) }

            var decoder = FrameDecoder()
            var decoded: [WireMessage] = []
            var offset = 0
            while offset < bytes.count {
                // Mix tiny reads with large ones so both the partial-frame and the many-frames paths run.
                let maxChunk = rng.next() % 4 == 0 ? 5 : 100_000
                let end = min(bytes.count, offset + Int.random(in: 0...maxChunk, using: &rng))
                decoder.append(Array(bytes[offset..<end]))
                offset = end
                let step = drain(&decoder)
                XCTAssertNil(step.error, "round \(round)")
                decoded += step.messages
            }
            XCTAssertEqual(decoded, messages, "round \(round)")
            XCTAssertEqual(decoder.bufferedByteCount, 0)
        }
    }

    func testBufferedByteCountTracksTheUnconsumedTail() throws {
        let frame = WireCodec.encode(.ack(seq: 1))
        var decoder = FrameDecoder()
        decoder.append(frame + frame.prefix(3))
        XCTAssertEqual(decoder.bufferedByteCount, frame.count + 3)
        XCTAssertEqual(try decoder.next(), .ack(seq: 1))
        XCTAssertEqual(decoder.bufferedByteCount, 3)
        XCTAssertNil(try decoder.next())
        decoder.append(Array(frame.dropFirst(3)))
        XCTAssertEqual(decoder.bufferedByteCount, frame.count)
        XCTAssertEqual(try decoder.next(), .ack(seq: 1))
        XCTAssertEqual(decoder.bufferedByteCount, 0)
    }
}
