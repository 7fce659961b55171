/// The schema as an append-only list: entry N upgrades `user_version` N to N+1. Shipped
/// entries are never edited, only followed by new ones, so every older database can catch up.
public enum Schema {
    public static let migrations: [String] = [v1, v2, v3]

    /// The version this build writes; a database reporting more is refused.
    public static var version: Int { migrations.count }

    static let v1 = """
        CREATE TABLE workspaces (
            name TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            workspace TEXT NOT NULL,
            title TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            restarts INTEGER NOT NULL DEFAULT 0,
            last_seq INTEGER NOT NULL DEFAULT 0,
            meta TEXT NOT NULL DEFAULT '{}'
        );
        -- WITHOUT ROWID: rows live in (run_id, seq) order, so a replay from afterSeq is one
        -- range scan and there is no second b-tree to maintain per insert.
        CREATE TABLE session_events (
            run_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            channel TEXT NOT NULL,
            payload TEXT NOT NULL,
            ts INTEGER NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE auth_sessions (
            token_hash BLOB PRIMARY KEY,
            id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_seen INTEGER NOT NULL
        );
        """

    /// The last worker output seq whose event is stored, written in the same transaction as the events:
    /// a restarted gateway resumes the worker right after it, with no gap and no duplicate.
    static let v2 = """
        ALTER TABLE sessions ADD COLUMN worker_seq INTEGER NOT NULL DEFAULT 0;
        """

    /// Small named values of the store itself; first the salted digest of the key the stored logins
    /// were made under, so a gateway started with another key revokes them.
    static let v3 = """
        CREATE TABLE settings (
            name TEXT PRIMARY KEY,
            value BLOB NOT NULL
        );
        """
}
