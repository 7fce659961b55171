extension EventStore {
    /// Applies retention: for each run, drops events older than `ts` and, beyond that, the oldest
    /// events until the run's payload bytes fit in `maxBytesPerSession` (0 or less: no byte limit).
    /// Returns the number of events deleted.
    ///
    /// Only a prefix of each run is ever deleted (everything below a cutoff seq), so stored
    /// history stays contiguous from `firstSeq` to `lastSeq` and replay never meets a hole, even
    /// if the wall clock stepped back and left a young `ts` behind an old one.
    ///
    /// The reads happen outside any transaction and the deletes are committed `chunk` rows at a
    /// time, so a writer on another connection waits at most one small chunk for the lock. Run it
    /// on its own connection (its own `EventStore`) off the thread that appends.
    @discardableResult
    public func prune(olderThan ts: Int64, maxBytesPerSession: Int, chunk: Int = 1000) throws(StoreError) -> Int {
        var deleted = 0
        for runId in try runIds() {
            let cutoffs = [try ageCutoff(runId: runId, olderThan: ts), try byteCutoff(runId: runId, budget: maxBytesPerSession)]
            // Skipping runs with nothing to drop keeps an idle prune from taking the write lock.
            guard let cutoff = cutoffs.compactMap({ $0 }).max(), let first = try firstSeq(runId: runId), first < cutoff else {
                continue
            }
            deleted += try deleteBelow(cutoff, runId: runId, chunk: max(1, chunk))
        }
        return deleted
    }

    /// Every run with stored events, found by seeking past each run in turn: one index probe per
    /// run instead of a DISTINCT that would read every row (and every payload) of the table.
    func runIds() throws(StoreError) -> [String] {
        var ids: [String] = []
        var previous: SQLiteValue = .null
        while true {
            var next: String?
            try database.query(
                "SELECT run_id FROM session_events WHERE ?1 IS NULL OR run_id > ?1 ORDER BY run_id LIMIT 1", [previous]
            ) { (row: borrowing Row) in
                next = row.string(0)
                return false
            }
            guard let next else { return ids }
            ids.append(next)
            previous = .text(next)
        }
    }

    /// The seq of the run's first event that is recent enough; everything below it goes. When
    /// no event is recent enough, everything goes.
    private func ageCutoff(runId: String, olderThan ts: Int64) throws(StoreError) -> UInt64? {
        var cutoff: UInt64?
        var any = false
        try database.query(
            "SELECT seq, ts >= ? FROM session_events WHERE run_id = ? ORDER BY seq", [.integer(ts), .text(runId)]
        ) { (row: borrowing Row) throws(StoreError) in
            any = true
            guard row.int64(1) != 0 else { return true }
            cutoff = try row.seq(0)
            return false
        }
        if cutoff == nil && any { return try lastStoredSeq(runId: runId).map { $0 + 1 } }
        return cutoff
    }

    /// Walks the run newest first, adding payload sizes, and returns the seq just above the
    /// first event that no longer fits. Only the budget's worth of rows is read.
    private func byteCutoff(runId: String, budget: Int) throws(StoreError) -> UInt64? {
        guard budget > 0 else { return nil }
        var total = 0
        var cutoff: UInt64?
        // CAST AS BLOB: length() of TEXT counts characters, and the budget is in bytes.
        try database.query(
            "SELECT seq, length(CAST(payload AS BLOB)) FROM session_events WHERE run_id = ? ORDER BY seq DESC",
            [.text(runId)]
        ) { (row: borrowing Row) throws(StoreError) in
            total += row.int(1)
            guard total > budget else { return true }
            cutoff = try row.seq(0) + 1
            return false
        }
        return cutoff
    }

    private func lastStoredSeq(runId: String) throws(StoreError) -> UInt64? {
        var last: UInt64?
        try database.query("SELECT max(seq) FROM session_events WHERE run_id = ?", [.text(runId)]) {
            (row: borrowing Row) throws(StoreError) in
            if !row.isNull(0) { last = try row.seq(0) }
            return false
        }
        return last
    }

    private func deleteBelow(_ cutoff: UInt64, runId: String, chunk: Int) throws(StoreError) -> Int {
        let bound = Int64(clamping: cutoff)
        var deleted = 0
        while true {
            let changed = try database.transaction { () throws(StoreError) -> Int in
                try database.execute(
                    """
                    DELETE FROM session_events WHERE run_id = ?1 AND seq IN
                        (SELECT seq FROM session_events WHERE run_id = ?1 AND seq < ?2 ORDER BY seq LIMIT ?3)
                    """,
                    [.text(runId), .integer(bound), .integer(Int64(chunk))]
                )
                return database.changes
            }
            deleted += changed
            if changed < chunk { return deleted }
        }
    }
}
