extension EventStore {
    // MARK: - Sessions

    /// Inserts or replaces the row, except that `last_seq` never moves back: `append` may have
    /// advanced it past the value in a row the caller read earlier.
    public func upsertSession(_ row: SessionRow) throws(StoreError) {
        try database.execute(
            """
            INSERT INTO sessions (id, kind, status, workspace, title, created_at, updated_at, restarts, last_seq, meta)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET
                kind = excluded.kind, status = excluded.status, workspace = excluded.workspace,
                title = excluded.title, created_at = excluded.created_at, updated_at = excluded.updated_at,
                restarts = excluded.restarts, last_seq = max(last_seq, excluded.last_seq), meta = excluded.meta
            """,
            [
                .text(row.id), .text(row.kind), .text(row.status), .text(row.workspace), .text(row.title),
                .integer(row.createdAt), .integer(row.updatedAt), .integer(Int64(row.restarts)),
                try .seq(row.lastSeq), .text(row.meta),
            ]
        )
    }

    /// All sessions, oldest first (id breaks ties so the order is stable).
    public func sessions() throws(StoreError) -> [SessionRow] {
        var rows: [SessionRow] = []
        try database.query(
            """
            SELECT id, kind, status, workspace, title, created_at, updated_at, restarts, last_seq, meta
            FROM sessions ORDER BY created_at, id
            """
        ) { (row: borrowing Row) throws(StoreError) in
            rows.append(SessionRow(
                id: row.string(0), kind: row.string(1), status: row.string(2), workspace: row.string(3),
                title: row.string(4), createdAt: row.int64(5), updatedAt: row.int64(6), restarts: row.int(7),
                lastSeq: try row.seq(8), meta: row.string(9)
            ))
            return true
        }
        return rows
    }

    /// Removes the session and all its events in one transaction, so no orphan history remains
    /// if the process dies halfway.
    public func deleteSession(id: String) throws(StoreError) {
        try database.transaction { () throws(StoreError) in
            try database.execute("DELETE FROM session_events WHERE run_id = ?", [.text(id)])
            try database.execute("DELETE FROM sessions WHERE id = ?", [.text(id)])
        }
    }

    /// At gateway start, sessions the previous life left in one of `statusesFrom` whose worker is not
    /// expected back (all but `keeping`, the ones being re-adopted) are moved to `to`. Returns how many
    /// changed. `updatedAt`, when given, stamps the changed rows.
    @discardableResult
    public func markInterrupted(statusesFrom: [String], to: String, updatedAt: Int64? = nil, keeping: [String] = []) throws(StoreError) -> Int {
        guard !statusesFrom.isEmpty else { return 0 }
        let placeholders = Array(repeating: "?", count: statusesFrom.count).joined(separator: ", ")
        let kept = Array(repeating: "?", count: keeping.count).joined(separator: ", ")
        let stamp: SQLiteValue = updatedAt.map { .integer($0) } ?? .null
        try database.execute(
            "UPDATE sessions SET status = ?, updated_at = coalesce(?, updated_at) WHERE status IN (\(placeholders)) AND id NOT IN (\(kept))",
            [.text(to), stamp] + statusesFrom.map { .text($0) } + keeping.map { .text($0) }
        )
        return database.changes
    }

    // MARK: - Workspaces

    /// Records a workspace; returns false if the name was already known (the row is unchanged).
    @discardableResult
    public func addWorkspace(name: String, createdAt: Int64) throws(StoreError) -> Bool {
        try database.execute(
            "INSERT OR IGNORE INTO workspaces (name, created_at) VALUES (?, ?)", [.text(name), .integer(createdAt)]
        )
        return database.changes == 1
    }

    /// Workspace names in byte order (what the API lists).
    public func workspaces() throws(StoreError) -> [String] {
        try database.query("SELECT name FROM workspaces ORDER BY name").compactMap { $0.first?.string }
    }

    public func removeWorkspace(name: String) throws(StoreError) {
        try database.execute("DELETE FROM workspaces WHERE name = ?", [.text(name)])
    }
}
