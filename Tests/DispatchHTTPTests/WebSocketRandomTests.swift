import DispatchTestSupport
import DispatchHTTP
import XCTest

private typealias F = WebSocketFixtures

/// Garbage must only ever produce messages or a `WebSocketError`, never a trap, and the verdict
/// must not depend on how the bytes were split.
final class WebSocketRandomTests: XCTestCase {
    func testRandomBytesNeverTrap() {
        var rng = SplitMix64(seed: 6455)
        var verdicts: [String: Int] = [:]
        for round in 0..<10_000 {
            let input = garbage(&rng)
            let limit = rng.next() % 4 == 0 ? Int.random(in: 0...64, using: &rng) : 1 << 20
            let whole = F.read(input, maxMessageBytes: limit)

            let split = Int.random(in: 0...input.count, using: &rng)
            let pieces = F.read(chunks: [Array(input[..<split]), Array(input[split...])], maxMessageBytes: limit)
            XCTAssertEqual(pieces.messages, whole.messages, "round \(round)")
            XCTAssertEqual(pieces.error, whole.error, "round \(round)")

            let key = whole.error.map { "error \($0.closeCode)" } ?? "clean"
            verdicts[key, default: 0] += 1
        }
        // Every verdict should be reached, or the generator is not exercising the reader.
        for key in ["clean", "error 1002", "error 1007", "error 1009"] {
            XCTAssertGreaterThan(verdicts[key] ?? 0, 100, "\(key): \(verdicts)")
        }
    }

    /// Mostly plausible frames (a known opcode, usually masked, a small length, text that is
    /// usually UTF-8, close codes near the valid ranges) so decoding gets past the header
    /// checks; sometimes pure noise.
    private func garbage(_ rng: inout SplitMix64) -> [UInt8] {
        guard rng.next() % 10 != 0 else { return rng.bytes(Int.random(in: 0...40, using: &rng)) }
        let opcodes: [UInt8] = [0x0, 0x1, 0x2, 0x8, 0x9, 0xA]
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let opcode = rng.next() % 20 == 0 ? UInt8(rng.next() % 16) : opcodes[Int(rng.next() % 6)]
            var payload: [UInt8]
            if opcode == 0x1 || (opcode == 0x0 && rng.next() % 2 == 0) {
                payload = Array("κόσμε 日本 🧑‍💻 ascii".utf8.prefix(Int.random(in: 0...30, using: &rng)))
                if rng.next() % 4 == 0, !payload.isEmpty { payload[Int.random(in: 0..<payload.count, using: &rng)] = UInt8.random(in: 0x80...0xFF, using: &rng) }
            } else if opcode == 0x8 {
                let codes: [UInt16] = [1000, 1001, 1004, 1005, 1011, 1012, 2999, 3000, 4999, 5000, 0]
                let code = codes[Int(rng.next() % UInt64(codes.count))]
                payload = rng.next() % 6 == 0 ? rng.bytes(Int(rng.next() % 2)) : [UInt8(code >> 8), UInt8(code & 0xFF)]
                if rng.next() % 2 == 0 { payload += Array("reason é".utf8) }
                if rng.next() % 5 == 0 { payload.append(0xC3) }
            } else {
                payload = rng.bytes(Int.random(in: 0...(rng.next() % 30 == 0 ? 300 : 40), using: &rng))
            }
            let form: F.LengthForm = [.minimal, .minimal, .minimal, .sixteen, .sixtyFour][Int(rng.next() % 5)]
            let mask: [UInt8]? = rng.next() % 12 == 0 ? nil : rng.bytes(4)
            let rsv: UInt8 = rng.next() % 25 == 0 ? UInt8(rng.next() % 8) : 0
            var frame = F.frame(opcode: opcode, payload, fin: rng.next() % 3 != 0, rsv: rsv, mask: mask, length: form)
            if rng.next() % 15 == 0 { frame[Int.random(in: 0..<frame.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            if rng.next() % 15 == 0 { frame.removeLast(Int.random(in: 0...frame.count, using: &rng)) }
            bytes += frame
        }
        return bytes
    }
}
