/// Streaming RFC 6455 frame reader for the server side: bytes in as they arrive from a socket
/// (split anywhere), whole messages out.
///
/// Bytes accumulate in one buffer with a read index; payloads are unmasked in place and copied
/// out once. Consumed bytes are reclaimed only when that is cheap (everything consumed) or pays
/// for itself (the consumed prefix outweighs the bytes that must move).
public struct WebSocketReader: Sendable {
    /// Above this, drained storage is given back, so one large message does not pin its buffer
    /// for the rest of an idle connection.
    private static let retainedCapacity = 256 * 1024

    private let maxMessageBytes: Int
    private let requireMasked: Bool
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: WebSocketError?

    /// The kind of the fragmented message being reassembled; nil when none is open.
    private var fragmentKind: WebSocketOpcode?
    private var fragments: [UInt8] = []
    /// Carries a partial character from one text fragment to the next.
    private var fragmentValidator = UTF8Validator()

    /// `requireMasked` is false only for reading a server's frames (tests, a client).
    public init(maxMessageBytes: Int = 1 << 20, requireMasked: Bool = true) {
        self.maxMessageBytes = max(0, maxMessageBytes)
        self.requireMasked = requireMasked
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }  // the peer is being dropped; don't grow for it
        reclaimConsumed()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        guard failure == nil else { return }
        reclaimConsumed()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message (fragments reassembled; control frames returned as they come,
    /// even between fragments), nil when more bytes are needed. Poisoned after a throw: every
    /// later call throws the same error, since the stream can no longer be framed.
    public mutating func next() throws(WebSocketError) -> WebSocketMessage? {
        if let failure { throw failure }
        do throws(WebSocketError) {
            while let frame = try nextFrame() {
                if let message = try deliver(frame) { return message }
            }
            return nil
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: - Frames

    private struct Frame {
        var opcode: WebSocketOpcode
        var fin: Bool
        var payload: Range<Int>
    }

    /// Parses, consumes and unmasks the next whole frame; nil (consuming nothing) until all of it
    /// is buffered. Everything that can be judged from the header is judged before waiting for
    /// the payload, so an oversized or malformed frame is refused without buffering it.
    private mutating func nextFrame() throws(WebSocketError) -> Frame? {
        let available = buffer.count - readIndex
        guard available >= 2 else { return nil }
        let first = buffer[readIndex]
        let second = buffer[readIndex + 1]

        guard first & 0x70 == 0 else { throw .protocolError("reserved bits set without an extension") }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else {
            throw .protocolError("unknown opcode \(first & 0x0F)")
        }
        let fin = first & 0x80 != 0
        let masked = second & 0x80 != 0
        // RFC 6455 5.1: a server must close on an unmasked client frame.
        if requireMasked, !masked { throw .protocolError("unmasked client frame") }
        let shortLength = second & 0x7F
        if opcode.isControl {
            guard fin else { throw .protocolError("fragmented control frame") }
            guard shortLength <= 125 else { throw .protocolError("control frame longer than 125 bytes") }
        } else if opcode == .continuation {
            guard fragmentKind != nil else { throw .protocolError("continuation without a message to continue") }
        } else if fragmentKind != nil {
            throw .protocolError("new data frame while a fragmented message is open")
        }

        var offset = readIndex + 2
        var length: UInt64
        switch shortLength {
        case 126:
            guard available >= 4 else { return nil }
            length = UInt64(buffer[offset]) << 8 | UInt64(buffer[offset + 1])
            offset += 2
        case 127:
            guard available >= 10 else { return nil }
            length = 0
            for index in offset..<offset + 8 { length = length << 8 | UInt64(buffer[index]) }
            guard length >> 63 == 0 else { throw .protocolError("64-bit length with the top bit set") }
            offset += 8
        default:
            length = UInt64(shortLength)
        }
        // Control frames are at most 125 bytes and do not count towards the data message.
        if !opcode.isControl {
            let room = maxMessageBytes - fragments.count
            guard length <= UInt64(max(0, room)) else { throw .messageTooBig }
        }

        var maskKey: UInt32?
        if masked {
            guard buffer.count - offset >= 4 else { return nil }
            maskKey = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
            offset += 4
        }
        // `length` fits an Int here: it is at most maxMessageBytes or 125.
        let payloadLength = Int(length)
        guard buffer.count - offset >= payloadLength else { return nil }
        let payload = offset..<offset + payloadLength
        if let maskKey { unmask(payload, key: maskKey) }
        readIndex = payload.upperBound
        return Frame(opcode: opcode, fin: fin, payload: payload)
    }

    /// XORs the payload with the key eight bytes at a time. The key was loaded from memory in
    /// memory order, and the wide key repeats it in both halves, so this holds on either
    /// endianness.
    private mutating func unmask(_ range: Range<Int>, key: UInt32) {
        let wideKey = UInt64(key) &* 0x1_0000_0001
        buffer.withUnsafeMutableBytes { raw in
            let payload = UnsafeMutableRawBufferPointer(rebasing: raw[range])
            let count = payload.count
            var index = 0
            while count - index >= 8 {
                let word = payload.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                payload.storeBytes(of: word ^ wideKey, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            // index is a multiple of 8, so the tail starts at key byte 0.
            withUnsafeBytes(of: key) { keyBytes in
                while index < count {
                    payload[index] ^= keyBytes[index & 3]
                    index += 1
                }
            }
        }
    }

    /// The message a consumed frame completes, nil when it only adds to an open fragmented one.
    private mutating func deliver(_ frame: Frame) throws(WebSocketError) -> WebSocketMessage? {
        let payload = frame.payload
        switch frame.opcode {
        case .ping:
            return .ping(Array(buffer[payload]))
        case .pong:
            return .pong(Array(buffer[payload]))
        case .close:
            return try closeMessage(payload)
        case .text where frame.fin:
            guard isValidUTF8(payload) else { throw .invalidUTF8 }
            return .text(String(decoding: buffer[payload], as: UTF8.self))
        case .binary where frame.fin:
            return .binary(Array(buffer[payload]))
        case .text, .binary:
            fragmentKind = frame.opcode
            fragments.append(contentsOf: buffer[payload])
            fragmentValidator = UTF8Validator()
            try validateFragment(payload)
            return nil
        case .continuation:
            fragments.append(contentsOf: buffer[payload])
            try validateFragment(payload)
            guard frame.fin else { return nil }
            return try finishFragmentedMessage()
        }
    }

    /// Fails a text message on the fragment where it becomes invalid, not only at its end.
    private mutating func validateFragment(_ payload: Range<Int>) throws(WebSocketError) {
        guard fragmentKind == .text else { return }
        let valid = buffer.withUnsafeBytes { raw in
            fragmentValidator.feed(UnsafeRawBufferPointer(rebasing: raw[payload]))
        }
        guard valid else { throw .invalidUTF8 }
    }

    private mutating func finishFragmentedMessage() throws(WebSocketError) -> WebSocketMessage {
        let kind = fragmentKind
        fragmentKind = nil
        if kind == .text {
            guard fragmentValidator.isComplete else { throw .invalidUTF8 }
            let text = String(decoding: fragments, as: UTF8.self)
            fragments.removeAll(keepingCapacity: fragments.capacity <= Self.retainedCapacity)
            return .text(text)
        }
        // Dropping our reference first lets the message take the storage without a copy.
        let bytes = fragments
        fragments = []
        return .binary(bytes)
    }

    /// RFC 6455 5.5.1 and 7.4: empty, or a code that may be received plus a UTF-8 reason.
    private func closeMessage(_ payload: Range<Int>) throws(WebSocketError) -> WebSocketMessage {
        guard !payload.isEmpty else { return .close(code: nil, reason: "") }
        guard payload.count >= 2 else { throw .protocolError("close payload of 1 byte") }
        let code = UInt16(buffer[payload.lowerBound]) << 8 | UInt16(buffer[payload.lowerBound + 1])
        guard Self.isReceivableCloseCode(code) else { throw .protocolError("invalid close code \(code)") }
        let reason = payload.lowerBound + 2..<payload.upperBound
        guard isValidUTF8(reason) else { throw .invalidUTF8 }
        return .close(code: code, reason: String(decoding: buffer[reason], as: UTF8.self))
    }

    /// 1004-1006 and 1015 are reserved for reporting locally and must never be sent; 1012-2999
    /// are unassigned or for IANA registration; 3000-4999 belong to libraries and applications.
    static func isReceivableCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1011, 3000...4999: true
        default: false
        }
    }

    private func isValidUTF8(_ range: Range<Int>) -> Bool {
        buffer.withUnsafeBytes { UTF8Validator.isValid(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    private mutating func reclaimConsumed() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
            readIndex = 0
        } else if readIndex >= buffer.count - readIndex {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
