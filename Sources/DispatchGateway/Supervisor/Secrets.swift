import DispatchPosix

public enum Secrets {
    /// Equal-length byte strings compared without an early exit, so timing says nothing about where
    /// they differ. Lengths are public (every worker secret is 32 bytes).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// A random session id in the familiar UUID v4 form.
    public static func sessionID() -> String {
        var bytes = Randomness.bytes(16)
        bytes[6] = bytes[6] & 0x0f | 0x40
        bytes[8] = bytes[8] & 0x3f | 0x80
        let hex = Array(Hex.encode(bytes))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
    }
}
