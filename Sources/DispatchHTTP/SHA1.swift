/// SHA-1 (FIPS 180-4), for the WebSocket handshake's Sec-WebSocket-Accept only: RFC 6455 fixes
/// the algorithm, and nothing there relies on its collision resistance. Not for anything else.
public enum SHA1 {
    /// 20 bytes.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            MessageBlocks.forEach(of: bytes) { block in
                for t in 0..<16 { w[t] = MessageBlocks.bigEndianWord(block, t) }
                for t in 16..<80 { w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotatedLeft(1) }
                var (a, b, c, d, e) = h
                for t in 0..<80 {
                    let f: UInt32, k: UInt32
                    switch t {
                    case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                    case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                    case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                    default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                    }
                    let temp = a.rotatedLeft(5) &+ f &+ e &+ k &+ w[t]
                    (e, d, c, b, a) = (d, c, b.rotatedLeft(30), a, temp)
                }
                h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
            }
        }
        var digest: [UInt8] = []
        digest.reserveCapacity(20)
        for word in [h.0, h.1, h.2, h.3, h.4] { MessageBlocks.appendBigEndian(word, to: &digest) }
        return digest
    }
}

/// The Merkle–Damgård framing SHA-1 and SHA-256 share: 64-byte blocks, then the padding
/// (0x80, zeros, the bit length as a big-endian UInt64). Whole blocks are read in place from the
/// input; only the last one or two are copied, into a small padded tail.
enum MessageBlocks {
    static func forEach(of bytes: [UInt8], _ process: (UnsafeBufferPointer<UInt8>) -> Void) {
        bytes.withUnsafeBufferPointer { input in
            let whole = input.count - input.count % 64
            var offset = 0
            while offset < whole {
                process(UnsafeBufferPointer(rebasing: input[offset..<offset + 64]))
                offset += 64
            }
            let rest = input.count - whole
            var tail = [UInt8](repeating: 0, count: rest < 56 ? 64 : 128)
            for index in 0..<rest { tail[index] = input[whole + index] }
            tail[rest] = 0x80
            let bitLength = UInt64(input.count) &* 8
            for index in 0..<8 { tail[tail.count - 1 - index] = UInt8(truncatingIfNeeded: bitLength >> (8 * index)) }
            tail.withUnsafeBufferPointer { padded in
                process(UnsafeBufferPointer(rebasing: padded[0..<64]))
                if padded.count == 128 { process(UnsafeBufferPointer(rebasing: padded[64..<128])) }
            }
        }
    }

    @inline(__always)
    static func bigEndianWord(_ block: UnsafeBufferPointer<UInt8>, _ index: Int) -> UInt32 {
        let base = index * 4
        return UInt32(block[base]) << 24 | UInt32(block[base + 1]) << 16 | UInt32(block[base + 2]) << 8 | UInt32(block[base + 3])
    }

    static func appendBigEndian(_ word: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: word >> 24))
        out.append(UInt8(truncatingIfNeeded: word >> 16))
        out.append(UInt8(truncatingIfNeeded: word >> 8))
        out.append(UInt8(truncatingIfNeeded: word))
    }
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotatedLeft(_ count: UInt32) -> UInt32 { self << count | self >> (32 - count) }
}
