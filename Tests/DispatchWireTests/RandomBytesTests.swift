import DispatchTestSupport
import DispatchWire
import XCTest

/// Garbage must only ever produce messages or a `WireError`, never a trap; this runs a slice of
/// what Tests/Fuzz does continuously, so it guards every `swift test`.
final class RandomBytesTests: XCTestCase {
    private let typeCodes: [UInt8] = [0x01, 0x02, 0x10, 0x11, 0x20, 0x21, 0x22, 0x23, 0x30, 0x31, 0x32, 0x3F]

    func testRandomBytesNeverTrap() {
        var rng = SplitMix64(seed: 42)
        for round in 0..<20_000 {
            let input = garbage(&rng)
            let whole = decodeAll(input)

            // However the bytes are split, the decoder reaches the same verdict.
            let split = Int.random(in: 0...input.count, using: &rng)
            var decoder = FrameDecoder()
            decoder.append(Array(input[..<split]))
            var pieces = drain(&decoder)
            if pieces.error == nil {
                decoder.append(Array(input[split...]))
                let rest = drain(&decoder)
                pieces = (pieces.messages + rest.messages, rest.error)
            }
            XCTAssertEqual(pieces.messages, whole.messages, "round \(round)")
            XCTAssertEqual(pieces.error, whole.error, "round \(round)")

            // Whatever decoded is canonical: it re-encodes to the bytes it came from.
            var reencoded: [UInt8] = []
            for message in whole.messages { WireCodec.encode(message, into: &reencoded) }
            XCTAssertEqual(reencoded[...], input.prefix(reencoded.count), "round \(round)")
        }
    }

    /// Mostly plausible frames (small length, known type, a random body) so decoding gets past
    /// the length check into the field readers; sometimes pure noise.
    private func garbage(_ rng: inout SplitMix64) -> [UInt8] {
        func noise(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
            (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        guard rng.next() % 8 != 0 else { return noise(Int.random(in: 0...64, using: &rng), &rng) }
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            var body = noise(Int.random(in: 0...40, using: &rng), &rng)
            let type = rng.next() % 16 == 0 ? UInt8.random(in: 0...255, using: &rng) : typeCodes[Int(rng.next() % 12)]
            if type == 0x01, rng.next() % 2 == 0 { body = Array("DSPW".utf8) + body }
            // Small counts in the usual count positions make length-prefixed fields sometimes fit.
            for index in body.indices where rng.next() % 6 == 0 { body[index] = UInt8(rng.next() % 8) }
            let declared = rng.next() % 4 == 0 ? Int.random(in: 0...body.count + 2, using: &rng) : body.count + 1
            bytes += be32(UInt32(declared)) + [type] + body
        }
        return bytes
    }
}
