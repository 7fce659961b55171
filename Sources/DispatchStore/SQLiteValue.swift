import CSQLite

/// One SQLite value, for bindings and for rows read back by `query`.
public enum SQLiteValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var int64: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var string: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    public var bytes: [UInt8]? {
        if case .blob(let value) = self { return value }
        return nil
    }

    /// Sequence numbers are UInt64 in the API but SQLite integers are signed; refusing the top
    /// half keeps a stored seq from reading back negative.
    public static func seq(_ value: UInt64) throws(StoreError) -> SQLiteValue {
        guard let signed = Int64(exactly: value) else {
            throw .invalidValue("seq \(value) exceeds the largest storable integer")
        }
        return .integer(signed)
    }
}

extension SQLiteValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// SQLite copies bound text and blobs at once with this destructor, so Swift buffers need only
/// live for the duration of the bind call. The C macro is not imported, hence the cast.
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// The current row of a running statement. Non-copyable and only ever lent to a callback, so it
/// cannot outlive the step that produced it (the statement is reset right after).
public struct Row: ~Copyable {
    let statement: OpaquePointer

    public var columnCount: Int { Int(sqlite3_column_count(statement)) }

    public func isNull(_ column: Int) -> Bool {
        sqlite3_column_type(statement, Int32(column)) == SQLITE_NULL
    }

    public func int64(_ column: Int) -> Int64 {
        sqlite3_column_int64(statement, Int32(column))
    }

    public func int(_ column: Int) -> Int {
        Int(truncatingIfNeeded: int64(column))
    }

    /// A stored seq; negative values cannot come from this API, so they read as an error.
    public func seq(_ column: Int) throws(StoreError) -> UInt64 {
        let value = int64(column)
        guard let unsigned = UInt64(exactly: value) else { throw .invalidValue("negative seq \(value) in database") }
        return unsigned
    }

    public func string(_ column: Int) -> String {
        let index = Int32(column)
        // Length first, then pointer, is the order SQLite documents as safe for conversions.
        let count = Int(sqlite3_column_bytes(statement, index))
        guard let pointer = sqlite3_column_text(statement, index), count > 0 else { return "" }
        let buffer = UnsafeBufferPointer(start: pointer, count: count)
        return String(decoding: buffer, as: UTF8.self)
    }

    public func bytes(_ column: Int) -> [UInt8] {
        let index = Int32(column)
        let count = Int(sqlite3_column_bytes(statement, index))
        guard let raw = sqlite3_column_blob(statement, index), count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: count))
    }

    public func value(_ column: Int) -> SQLiteValue {
        let index = Int32(column)
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT: return .text(string(column))
        case SQLITE_BLOB: return .blob(bytes(column))
        default: return .null
        }
    }
}
