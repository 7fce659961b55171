/// Incremental UTF-8 validation for text that arrives in pieces (a fragmented WebSocket message).
///
/// RFC 6455 8.1 lets an endpoint fail a connection as soon as text can no longer be valid, and
/// Autobahn's 6.x cases expect exactly that, so this checks each byte against the ranges of the
/// Unicode Standard's table 3-7 instead of decoding whole characters: overlongs, surrogates and
/// values above U+10FFFF are refused on the first byte that rules them out.
public struct UTF8Validator: Sendable {
    /// Continuation bytes the current character still needs.
    private var pending: UInt8 = 0
    /// Where the next continuation byte must fall. Only the byte after E0, ED, F0 or F4 narrows
    /// it; every other continuation byte may be anything in 80...BF.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    /// Sticky: no later bytes can repair an invalid sequence.
    private var failed = false

    public init() {}

    /// true when everything fed is complete valid UTF-8 (no partial character left).
    public var isComplete: Bool { !failed && pending == 0 }

    /// false as soon as the bytes so far cannot be a prefix of valid UTF-8 (overlongs, surrogates,
    /// > U+10FFFF, bad continuation). Once false, always false.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !failed else { return false }
        // Locals, so the loop works in registers rather than through `self`.
        var pending = self.pending
        var lower = self.lower
        var upper = self.upper
        let count = bytes.count
        var index = 0
        while index < count {
            if pending == 0 {
                // Terminal text is mostly ASCII: skip it eight bytes at a time.
                while count - index >= 8,
                      bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    index += 8
                }
                guard index < count else { break }
                let byte = bytes[index]
                index += 1
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: pending = 1
                case 0xE0: pending = 2; lower = 0xA0  // below A0 would be overlong
                case 0xE1...0xEC, 0xEE, 0xEF: pending = 2
                case 0xED: pending = 2; upper = 0x9F  // above 9F would be a surrogate
                case 0xF0: pending = 3; lower = 0x90  // below 90 would be overlong
                case 0xF1...0xF3: pending = 3
                case 0xF4: pending = 3; upper = 0x8F  // above 8F would exceed U+10FFFF
                default:  // a lone continuation, an overlong lead (C0, C1) or F5...FF
                    failed = true
                    return false
                }
            } else {
                let byte = bytes[index]
                guard byte >= lower, byte <= upper else {
                    failed = true
                    return false
                }
                index += 1
                pending -= 1
                lower = 0x80
                upper = 0xBF
            }
        }
        self.pending = pending
        self.lower = lower
        self.upper = upper
        return true
    }
}

extension UTF8Validator {
    /// Whether `bytes` on their own are complete valid UTF-8.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var validator = UTF8Validator()
        return validator.feed(bytes) && validator.isComplete
    }
}
