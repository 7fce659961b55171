import CSQLite

/// Everything the store can fail with. Each case carries enough to explain the failure in a log
/// line or an HTTP 503 body without a second lookup.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be created or opened (missing folder, a directory, no permission).
    case cannotOpen(path: String, message: String)
    /// The file exists but is not a usable SQLite database (garbage, truncated, damaged).
    case notADatabase(path: String, message: String)
    /// The file was written by a newer build; it is left exactly as found.
    case newerSchema(found: Int, supported: Int)
    /// An SQLite call failed. `code` is the extended result code (e.g. 13 SQLITE_FULL, 8 SQLITE_READONLY).
    case sqlite(code: Int32, message: String)
    /// A value cannot be stored or read back as the API promises (e.g. a seq beyond Int64.max).
    case invalidValue(String)

    /// The primary SQLite result code, so callers can test `== SQLITE_FULL` without knowing
    /// about extended codes. Nil for failures that did not come from SQLite.
    public var sqliteCode: Int32? {
        if case .sqlite(let code, _) = self { return code & 0xFF }
        return nil
    }

    /// True when the disk or the file refuses writes; `/health` should report unwell, not crash.
    public var isStorageUnavailable: Bool {
        guard let code = sqliteCode else { return false }
        return code == SQLITE_FULL || code == SQLITE_READONLY || code == SQLITE_IOERR || code == SQLITE_CANTOPEN
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let message): "cannot open database \(path): \(message)"
        case .notADatabase(let path, let message): "\(path) is not a database: \(message)"
        case .newerSchema(let found, let supported):
            "database schema version \(found) is newer than this build supports (\(supported)); upgrade Dispatch"
        case .sqlite(let code, let message): "sqlite error \(code): \(message)"
        case .invalidValue(let message): "invalid value: \(message)"
        }
    }
}
