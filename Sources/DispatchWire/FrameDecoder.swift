/// Streaming decoder: bytes in as they arrive from a socket (split anywhere), whole messages out.
///
/// Bytes accumulate in one buffer with a read index. Decoding reads in place; consumed bytes are
/// only reclaimed when that is cheap (everything consumed) or pays for itself (the consumed
/// prefix outweighs the bytes that must move), so a burst of small frames costs no memmoves.
public struct FrameDecoder: Sendable {
    /// Above this, a fully drained buffer gives its storage back, so one large burst does not
    /// pin a megabyte per idle session.
    private static let retainedCapacity = 256 * 1024

    private let maxFrameLength: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failure: WireError?

    public init(maxFrameLength: Int = WireLimits.maxFrameLength) {
        self.maxFrameLength = maxFrameLength
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

    /// The next whole message, nil when more bytes are needed. After it throws once it is poisoned:
    /// every later call throws the same error (the peer is dropped).
    public mutating func next() throws(WireError) -> WireMessage? {
        if let failure { throw failure }
        do throws(WireError) {
            return try decodeNext()
        } catch {
            failure = error
            throw error
        }
    }

    public var bufferedByteCount: Int { buffer.count - readIndex }

    private mutating func decodeNext() throws(WireError) -> WireMessage? {
        guard bufferedByteCount >= 4 else { return nil }
        var length = 0
        for offset in readIndex..<readIndex + 4 {
            length = length << 8 | Int(buffer[offset])
        }
        // Judged on the length alone, before waiting for (and buffering) the body.
        guard length <= maxFrameLength else { throw .frameTooLarge(length: length, limit: maxFrameLength) }
        guard length > 0 else { throw .emptyFrame }
        guard bufferedByteCount - 4 >= length else { return nil }
        let frameStart = readIndex + 4
        let message = try WireCodec.decodeFrame(buffer, frame: frameStart..<frameStart + length)
        readIndex = frameStart + length
        return message
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
