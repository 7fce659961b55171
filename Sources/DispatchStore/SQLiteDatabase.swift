import CSQLite
import Glibc

/// One SQLite connection with one owner. Not Sendable on purpose: the connection is opened in
/// multi-thread mode (no SQLite mutexes), which is only safe while a single thread uses it. A
/// second thread that needs the database (the pruner) opens its own connection; WAL lets it
/// read while this one writes, and `busy_timeout` makes writers queue instead of failing.
public final class SQLiteDatabase {
    public let path: String
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private var walCommitHandler: ((Int) -> Void)?

    /// Opens (creating with mode 0600) the database at `path`. With `migrations`, checks
    /// `user_version` and applies the missing scripts; a newer database is refused before anything
    /// is written to it, including the switch to WAL.
    public init(path: String, migrations: [String]? = nil) throws(StoreError) {
        self.path = path
        try Self.createPrivately(path)
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard let opened else { throw .cannotOpen(path: path, message: "sqlite3_open_v2 returned \(status)") }
        guard status == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(opened))
            sqlite3_close_v2(opened)
            throw .cannotOpen(path: path, message: message)
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
        // From here on, deinit closes the handle on every exit path, including the throws below.
        do {
            try configure(migrations: migrations)
        } catch {
            throw Self.explainOpenFailure(error, path: path)
        }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        // close_v2 rather than close: it never fails on a stray statement, it defers instead.
        sqlite3_close_v2(handle)
    }

    private func configure(migrations: [String]?) throws(StoreError) {
        try execute("PRAGMA busy_timeout = 5000")
        // The first read of the file: a garbage file fails here with SQLITE_NOTADB.
        let version = try userVersion()
        if let migrations, version > migrations.count {
            throw .newerSchema(found: version, supported: migrations.count)
        }
        let mode = try query("PRAGMA journal_mode = WAL").first?.first?.string
        guard mode?.lowercased() == "wal" else {
            throw .sqlite(code: SQLITE_ERROR, message: "journal_mode WAL refused (got \(mode ?? "nothing"))")
        }
        // NORMAL in WAL survives a process kill (the issue's fault test); only power loss can
        // drop the last transactions, which is the usual trade for a terminal's scrollback.
        try execute("PRAGMA synchronous = NORMAL")
        try execute("PRAGMA foreign_keys = ON")
        guard let migrations else { return }
        for (index, script) in migrations.enumerated() where index >= version {
            try transaction { () throws(StoreError) in
                try executeScript(script)
                try execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    public func userVersion() throws(StoreError) -> Int {
        Int(try query("PRAGMA user_version").first?.first?.int64 ?? 0)
    }

    /// Runs one statement, discarding any rows.
    public func execute(_ sql: String, _ bindings: [SQLiteValue] = []) throws(StoreError) {
        try query(sql, bindings) { (_: borrowing Row) in true }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE on this connection.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs one statement and returns all rows.
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws(StoreError) -> [[SQLiteValue]] {
        var rows: [[SQLiteValue]] = []
        try query(sql, bindings) { (row: borrowing Row) in
            rows.append((0..<row.columnCount).map { row.value($0) })
            return true
        }
        return rows
    }

    /// Runs one statement, handing each row to `body` until it returns false. The statement is
    /// reset before returning in every case: a statement left mid-SELECT holds a read snapshot
    /// open, and WAL cannot checkpoint past it, so the -wal file would grow without bound.
    public func query(
        _ sql: String, _ bindings: [SQLiteValue] = [],
        row body: (borrowing Row) throws(StoreError) -> Bool
    ) throws(StoreError) {
        let (statement, cached) = try prepare(sql)
        defer {
            if cached {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            } else {
                sqlite3_finalize(statement)
            }
        }
        try bind(bindings, to: statement)
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw error(status) }
            guard try body(Row(statement: statement)) else { return }
        }
    }

    /// Runs a script of several statements (migrations). Not cached: each runs once.
    public func executeScript(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_free(message)
            throw .sqlite(code: status, message: text)
        }
    }

    /// Runs `body` in a write transaction. IMMEDIATE takes the write lock up front, so a busy
    /// database makes this wait (busy_timeout) at BEGIN rather than fail halfway through with
    /// SQLITE_BUSY when a read would have to be upgraded. Nested calls become savepoints.
    public func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        let nested = sqlite3_get_autocommit(handle) == 0
        try execute(nested ? "SAVEPOINT nested" : "BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body()
            try execute(nested ? "RELEASE nested" : "COMMIT")
        } catch {
            if nested {
                try? execute("ROLLBACK TO nested")
                try? execute("RELEASE nested")
            } else if sqlite3_get_autocommit(handle) == 0 {
                // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); only roll
                // back a transaction that is still open, or ROLLBACK itself would error.
                try? execute("ROLLBACK")
            }
            throw error
        }
        return result
    }

    /// Takes WAL checkpoints out of this connection's commits: SQLite otherwise runs one inside the
    /// commit that finds the WAL over its threshold, with two fsyncs, on the committing thread. After
    /// each commit `handler` gets the number of frames in the WAL, so that another connection (on
    /// another thread) can checkpoint when it grows.
    public func onWALCommit(_ handler: @escaping (_ frames: Int) -> Void) {
        walCommitHandler = handler
        sqlite3_wal_hook(handle, { context, _, _, frames in
            if let context { Unmanaged<SQLiteDatabase>.fromOpaque(context).takeUnretainedValue().walCommitHandler?(Int(frames)) }
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// A full structural check; "ok" is the only healthy answer.
    public func integrityCheck() throws(StoreError) -> Bool {
        let rows = try query("PRAGMA integrity_check")
        return rows.count == 1 && rows.first?.first?.string == "ok"
    }

    // MARK: - Statements

    private func prepare(_ sql: String) throws(StoreError) -> (OpaquePointer, cached: Bool) {
        if let statement = statements[sql] {
            // A statement still stepping (the same SQL run from inside a row callback) cannot be
            // shared; give that inner use a private copy.
            if sqlite3_stmt_busy(statement) == 0 { return (statement, true) }
            return (try compile(sql), false)
        }
        let statement = try compile(sql)
        statements[sql] = statement
        return (statement, true)
    }

    private func compile(_ sql: String) throws(StoreError) -> OpaquePointer {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK else { throw error(status) }
        guard let statement else { throw .sqlite(code: SQLITE_MISUSE, message: "empty statement: \(sql)") }
        return statement
    }

    private func bind(_ values: [SQLiteValue], to statement: OpaquePointer) throws(StoreError) {
        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard values.count == expected else {
            throw .invalidValue("statement takes \(expected) bindings, got \(values.count)")
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(statement, index)
            case .integer(let number): status = sqlite3_bind_int64(statement, index, number)
            case .real(let number): status = sqlite3_bind_double(statement, index, number)
            case .text(let text):
                var text = text
                status = text.withUTF8 { utf8 in
                    sqlite3_bind_text64(statement, index, utf8.baseAddress, UInt64(utf8.count), SQLITE_TRANSIENT, UInt8(SQLITE_UTF8))
                }
            case .blob(let bytes):
                // zeroblob for empty arrays: a nil pointer would bind NULL instead of an empty blob.
                status = bytes.isEmpty
                    ? sqlite3_bind_zeroblob(statement, index, 0)
                    : bytes.withUnsafeBytes { sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), SQLITE_TRANSIENT) }
            }
            guard status == SQLITE_OK else { throw error(status) }
        }
    }

    private func error(_ status: Int32) -> StoreError {
        .sqlite(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
    }

    // MARK: - Opening

    /// SQLite would create the file with the umask's mode (usually 0644), readable by every
    /// local user; the database holds terminal output and token hashes, so create it 0600 first.
    /// The -wal and -shm files inherit the database file's mode.
    private static func createPrivately(_ path: String) throws(StoreError) {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            fchmod(fd, 0o600)  // in case the umask stripped bits we wanted; cannot add any
            close(fd)
            return
        }
        let code = errno
        guard code == EEXIST else { throw .cannotOpen(path: path, message: String(cString: strerror(code))) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw .cannotOpen(path: path, message: String(cString: strerror(errno))) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .cannotOpen(path: path, message: "is a directory") }
    }

    private static func explainOpenFailure(_ error: StoreError, path: String) -> StoreError {
        guard case .sqlite(let code, let message) = error else { return error }
        switch code & 0xFF {
        // A damaged file reads as one too: either way the operator must restore or move it.
        case SQLITE_NOTADB, SQLITE_CORRUPT: return .notADatabase(path: path, message: message)
        case SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH: return .cannotOpen(path: path, message: message)
        default: return error
        }
    }
}
