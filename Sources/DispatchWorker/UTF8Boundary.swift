/// Where to cut terminal output so that no event ends inside a multi-byte UTF-8 character.
public enum UTF8Boundary {
    /// The length of the longest prefix of `bytes` that does not end in the middle of a character:
    /// a trailing lead byte with fewer continuation bytes than it announces is held back (at most 3
    /// bytes) for the next read. Invalid bytes are not held back: they can never complete, and the
    /// reader replaces them, so holding them would only delay output.
    public static func completePrefixLength(of bytes: UnsafeRawBufferPointer) -> Int {
        let count = bytes.count
        // Look back over at most 3 bytes for the lead byte of the last character.
        var index = count - 1
        var continuationBytes = 0
        while index >= 0, continuationBytes < 3, bytes[index] & 0xC0 == 0x80 {
            continuationBytes += 1
            index -= 1
        }
        guard index >= 0 else { return count }
        let needed = sequenceLength(lead: bytes[index])
        guard needed > 1 else { return count }
        return continuationBytes + 1 < needed ? index : count
    }

    /// How many bytes a character with this lead byte has; 1 for ASCII and for bytes that cannot lead.
    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 1
        }
    }
}
