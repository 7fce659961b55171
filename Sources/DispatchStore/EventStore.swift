/// One event of one run session, as stored. `payload` is JSON text, stored verbatim.
public struct StoredEvent: Equatable, Sendable {
    public var runId: String
    public var seq: UInt64
    public var channel: String
    public var payload: String
    /// Milliseconds since the Unix epoch.
    public var ts: Int64
    /// Not read back: the seq of the worker message this event came from, or 0 for the first event of
    /// a new worker's life (its numbering starts again at 1); nil for events that say nothing about it.
    public var workerSeq: UInt64?

    public init(runId: String, seq: UInt64, channel: String, payload: String, ts: Int64, workerSeq: UInt64? = nil) {
        self.runId = runId
        self.seq = seq
        self.channel = channel
        self.payload = payload
        self.ts = ts
        self.workerSeq = workerSeq
    }
}

/// A session's row in `sessions`; `meta` is JSON text, stored verbatim.
public struct SessionRow: Equatable, Sendable {
    public var id: String
    public var kind: String
    public var status: String
    public var workspace: String
    public var title: String
    public var createdAt: Int64
    public var updatedAt: Int64
    public var restarts: Int
    public var lastSeq: UInt64
    public var meta: String

    public init(
        id: String, kind: String, status: String, workspace: String, title: String,
        createdAt: Int64, updatedAt: Int64, restarts: Int = 0, lastSeq: UInt64 = 0, meta: String = "{}"
    ) {
        self.id = id
        self.kind = kind
        self.status = status
        self.workspace = workspace
        self.title = title
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.restarts = restarts
        self.lastSeq = lastSeq
        self.meta = meta
    }
}

/// Sessions, their events, workspaces and auth sessions over one connection. Like the
/// connection it has one owner; a background pruner opens a second `EventStore` on the same path.
public final class EventStore {
    public let database: SQLiteDatabase

    /// Opens or creates the store and brings its schema up to `Schema.version`.
    public init(path: String) throws(StoreError) {
        database = try SQLiteDatabase(path: path, migrations: Schema.migrations)
    }

    // MARK: - Events

    /// Stores a batch in one transaction. A (runId, seq) already stored is skipped, so a batch
    /// replayed after a crash between commit and acknowledgement is harmless. Each run's
    /// `sessions.last_seq` moves forward with it, so the next seq survives pruning and restarts, and
    /// `sessions.worker_seq` becomes the last worker seq in the batch, in the same transaction.
    public func append(_ events: [StoredEvent]) throws(StoreError) {
        guard !events.isEmpty else { return }
        var highest: [String: UInt64] = [:]
        var workerSeqs: [String: UInt64] = [:]
        try database.transaction { () throws(StoreError) in
            for event in events {
                try database.execute(
                    "INSERT OR IGNORE INTO session_events (run_id, seq, channel, payload, ts) VALUES (?, ?, ?, ?, ?)",
                    [.text(event.runId), try .seq(event.seq), .text(event.channel), .text(event.payload), .integer(event.ts)]
                )
                highest[event.runId] = max(highest[event.runId] ?? 0, event.seq)
                if let workerSeq = event.workerSeq { workerSeqs[event.runId] = workerSeq }
            }
            for (runId, workerSeq) in workerSeqs {
                try database.execute("UPDATE sessions SET worker_seq = ? WHERE id = ?", [try .seq(workerSeq), .text(runId)])
            }
            for (runId, seq) in highest {
                try database.execute(
                    "UPDATE sessions SET last_seq = max(last_seq, ?) WHERE id = ?", [try .seq(seq), .text(runId)]
                )
            }
        }
    }

    /// Up to `limit` events of `runId` with seq greater than `seq`, in seq order.
    public func events(runId: String, after seq: UInt64, limit: Int) throws(StoreError) -> [StoredEvent] {
        guard limit > 0 else { return [] }
        // An `after` beyond what any seq can be simply matches nothing.
        guard let after = Int64(exactly: seq) else { return [] }
        var found: [StoredEvent] = []
        found.reserveCapacity(min(limit, 4096))
        try database.query(
            "SELECT seq, channel, payload, ts FROM session_events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            [.text(runId), .integer(after), .integer(Int64(limit))]
        ) { (row: borrowing Row) throws(StoreError) in
            found.append(StoredEvent(
                runId: runId, seq: try row.seq(0), channel: row.string(1), payload: row.string(2), ts: row.int64(3)
            ))
            return true
        }
        return found
    }

    /// The oldest seq still stored for `runId` (history starts here after pruning), or nil
    /// when nothing is stored.
    public func firstSeq(runId: String) throws(StoreError) -> UInt64? {
        var first: UInt64?
        try database.query("SELECT min(seq) FROM session_events WHERE run_id = ?", [.text(runId)]) {
            (row: borrowing Row) throws(StoreError) in
            if !row.isNull(0) { first = try row.seq(0) }
            return false
        }
        return first
    }

    /// The highest seq ever stored for `runId`, 0 if none. Also consults the session row, so a
    /// run whose events were all pruned still continues from where it was, never reusing a seq.
    public func lastSeq(runId: String) throws(StoreError) -> UInt64 {
        var last: UInt64 = 0
        try database.query(
            """
            SELECT max(coalesce((SELECT max(seq) FROM session_events WHERE run_id = ?1), 0),
                       coalesce((SELECT last_seq FROM sessions WHERE id = ?1), 0))
            """,
            [.text(runId)]
        ) { (row: borrowing Row) throws(StoreError) in
            last = try row.seq(0)
            return false
        }
        return last
    }

    /// The last worker seq stored for `runId` (0 if none, or if its current worker has sent nothing yet).
    public func workerSeq(runId: String) throws(StoreError) -> UInt64 {
        var seq: UInt64 = 0
        try database.query("SELECT worker_seq FROM sessions WHERE id = ?", [.text(runId)]) { (row: borrowing Row) throws(StoreError) in
            seq = try row.seq(0)
            return false
        }
        return seq
    }

    /// The main database file's size; the -wal file comes on top until the next checkpoint.
    public func sizeInBytes() throws(StoreError) -> Int {
        let pages = try database.query("PRAGMA page_count").first?.first?.int64 ?? 0
        let pageSize = try database.query("PRAGMA page_size").first?.first?.int64 ?? 0
        return Int(pages * pageSize)
    }

    public func integrityCheck() throws(StoreError) -> Bool {
        try database.integrityCheck()
    }
}
