/// A logged-in browser: the SHA-256 of its cookie token (never the token itself) and times in
/// milliseconds since the Unix epoch.
public struct AuthSessionRow: Equatable, Sendable {
    public var tokenHash: [UInt8]
    public var id: String
    public var createdAt: Int64
    public var lastSeen: Int64

    public init(tokenHash: [UInt8], id: String, createdAt: Int64, lastSeen: Int64) {
        self.tokenHash = tokenHash
        self.id = id
        self.createdAt = createdAt
        self.lastSeen = lastSeen
    }
}

/// A login's newer last use, written in batches.
public struct AuthSessionTouch: Equatable, Sendable {
    public var tokenHash: [UInt8]
    public var lastSeen: Int64

    public init(tokenHash: [UInt8], lastSeen: Int64) {
        self.tokenHash = tokenHash
        self.lastSeen = lastSeen
    }
}

extension EventStore {
    /// The settings row naming what the stored logins were made under (a salted digest of the key).
    public static let authKeySetting = "auth_key_fingerprint"

    public func addAuthSession(_ row: AuthSessionRow) throws(StoreError) {
        try database.execute(
            "INSERT OR REPLACE INTO auth_sessions (token_hash, id, created_at, last_seen) VALUES (?, ?, ?, ?)",
            [.blob(row.tokenHash), .text(row.id), .integer(row.createdAt), .integer(row.lastSeen)]
        )
    }

    /// Every stored login, least recently used first.
    public func authSessions() throws(StoreError) -> [AuthSessionRow] {
        var rows: [AuthSessionRow] = []
        try database.query("SELECT token_hash, id, created_at, last_seen FROM auth_sessions ORDER BY last_seen, id") {
            (row: borrowing Row) in
            rows.append(AuthSessionRow(tokenHash: row.bytes(0), id: row.string(1), createdAt: row.int64(2), lastSeen: row.int64(3)))
            return true
        }
        return rows
    }

    /// Moves last uses forward (never back) and removes ended logins, all in one transaction.
    public func updateAuthSessions(touches: [AuthSessionTouch], deletes: [[UInt8]]) throws(StoreError) {
        guard !touches.isEmpty || !deletes.isEmpty else { return }
        try database.transaction { () throws(StoreError) in
            for touch in touches {
                try database.execute(
                    "UPDATE auth_sessions SET last_seen = max(last_seen, ?) WHERE token_hash = ?",
                    [.integer(touch.lastSeen), .blob(touch.tokenHash)]
                )
            }
            for hash in deletes {
                try database.execute("DELETE FROM auth_sessions WHERE token_hash = ?", [.blob(hash)])
            }
        }
    }

    public func deleteAuthSession(tokenHash: [UInt8]) throws(StoreError) {
        try database.execute("DELETE FROM auth_sessions WHERE token_hash = ?", [.blob(tokenHash)])
    }

    /// Key rotation: every stored login goes, and `keyFingerprint` becomes what later ones are made
    /// under, in one transaction (a crash in between cannot leave old logins under the new key).
    /// Returns how many logins were revoked.
    @discardableResult
    public func revokeAuthSessions(keyFingerprint: [UInt8]) throws(StoreError) -> Int {
        try database.transaction { () throws(StoreError) -> Int in
            try database.execute("DELETE FROM auth_sessions")
            let revoked = database.changes
            try setSetting(Self.authKeySetting, keyFingerprint)
            return revoked
        }
    }

    // MARK: - Settings

    public func setting(_ name: String) throws(StoreError) -> [UInt8]? {
        var value: [UInt8]?
        try database.query("SELECT value FROM settings WHERE name = ?", [.text(name)]) { (row: borrowing Row) in
            value = row.bytes(0)
            return false
        }
        return value
    }

    public func setSetting(_ name: String, _ value: [UInt8]) throws(StoreError) {
        try database.execute("INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", [.text(name), .blob(value)])
    }
}
