/// Why a peer's bytes cannot be decoded. Any of these means the peer is broken or hostile and
/// the connection is dropped, so the cases aim at a useful log line rather than recovery.
public enum WireError: Error, Equatable, Sendable {
    /// Thrown as soon as the 4 length bytes are seen, before any allocation.
    case frameTooLarge(length: Int, limit: Int)
    /// Length 0 (no type byte).
    case emptyFrame
    /// An unassigned frame type, or an unassigned exit kind inside an exit frame.
    case unknownType(UInt8)
    /// The body ends before all fields are read.
    case truncated(type: UInt8)
    /// The body has bytes after the last field.
    case trailingBytes(type: UInt8, count: Int)
    /// A string field is not valid UTF-8.
    case invalidUTF8(type: UInt8)
    /// A hello without the magic.
    case badMagic
    /// A length-prefixed field claims more bytes than the frame has.
    case fieldTooLarge(type: UInt8)
}
