/// A cursor over one frame's body inside the decoder's buffer. It reads in place by index, so
/// the only copies made are the final `[UInt8]`/`String` values handed to the caller; every
/// read checks the body's end first, so no field can reach past its own frame.
struct BodyReader {
    private let storage: [UInt8]
    private var index: Int
    private let end: Int
    /// The frame type, carried into every error.
    let type: UInt8

    init(_ storage: [UInt8], body: Range<Int>, type: UInt8) {
        self.storage = storage
        self.index = body.lowerBound
        self.end = body.upperBound
        self.type = type
    }

    private var remaining: Int { end - index }

    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(type: type) }
        var value: T = 0
        for offset in index..<index + size {
            value = value << 8 | T(truncatingIfNeeded: storage[offset])
        }
        index += size
        return value
    }

    mutating func int32() throws(WireError) -> Int32 {
        Int32(bitPattern: try integer(UInt32.self))
    }

    /// A u32-counted byte field.
    mutating func bytesField() throws(WireError) -> [UInt8] {
        Array(try countedRange())
    }

    /// A u32-counted UTF-8 field.
    mutating func stringField() throws(WireError) -> String {
        try string(try countedRange())
    }

    /// Everything up to the end of the body.
    mutating func rest() -> [UInt8] {
        Array(takeRest())
    }

    /// Everything up to the end of the body, as UTF-8.
    mutating func restString() throws(WireError) -> String {
        try string(takeRest())
    }

    /// Call after the last field: a body with leftovers was built by a different encoder.
    func finish() throws(WireError) {
        guard remaining == 0 else { throw .trailingBytes(type: type, count: remaining) }
    }

    private mutating func countedRange() throws(WireError) -> ArraySlice<UInt8> {
        let count = Int(try integer(UInt32.self))
        guard count <= remaining else { throw .fieldTooLarge(type: type) }
        defer { index += count }
        return storage[index..<index + count]
    }

    private mutating func takeRest() -> ArraySlice<UInt8> {
        defer { index = end }
        return storage[index..<end]
    }

    private func string(_ bytes: ArraySlice<UInt8>) throws(WireError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidUTF8(type: type)
        }
        return text
    }
}
