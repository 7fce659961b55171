import DispatchHTTP
import DispatchPosix
import DispatchStore

/// Server-side login sessions: a random 256-bit token goes into the cookie; only SHA-256(token) is kept.
///
/// Keeping only the digest means a leaked table (a heap dump, a debug print, the database) does not hand
/// out live cookies. Lookups go by digest, so their timing says nothing useful about the token itself.
///
/// Times are wall-clock milliseconds since the Unix epoch, passed in: logins outlive the process (the store
/// keeps them for the next gateway), and only the wall clock means the same to both. A clock stepped back
/// makes logins last longer by the step; one stepped forward ends them early.
///
/// The policy also says what the store must do to follow it (`takeStoreWork`): a login's last use is
/// written at most once per `touchInterval`, so requests do not cost writes.
public struct AuthSessions: Sendable {
    public struct Settings: Sendable, Equatable {
        public var idleTimeout: Duration = .seconds(12 * 3600)
        public var absoluteTimeout: Duration = .seconds(7 * 24 * 3600)
        /// A bound on memory against a client that logs in in a loop; beyond it the least recently used session goes.
        public var maxSessions = 10_000
        /// The least time between two writes of one login's last use. After a crash a restored login
        /// may look idle for up to about twice this longer than it was.
        public var touchInterval: Duration = .seconds(60)

        public init() {}
    }

    struct Entry: Equatable {
        let id: String
        let created: Int64
        var lastSeen: Int64
        /// The last use the store has.
        var storedLastSeen: Int64
    }

    /// Writes that bring the store in line with the policy.
    public struct StoreWork: Equatable, Sendable {
        public var touches: [AuthSessionTouch] = []
        public var deletes: [[UInt8]] = []

        public var isEmpty: Bool { touches.isEmpty && deletes.isEmpty }
    }

    public let settings: Settings
    /// Keyed by the SHA-256 of the token.
    private(set) var entries: [[UInt8]: Entry] = [:]
    /// Digests of logins that expired or were evicted here and are still to be deleted from the store.
    private var ended: [[UInt8]] = []

    static let tokenBytes = 32

    public init(settings: Settings = .init()) {
        self.settings = settings
    }

    public var count: Int { entries.count }

    /// A new session; returns the token (64 hex chars) to put in the cookie, and the row to store (with
    /// the digest, an id for revocation and logging, and the times).
    public mutating func create(now: Int64) -> (token: String, row: AuthSessionRow) {
        if entries.count >= settings.maxSessions {
            prune(now: now)
            evictBeyond(settings.maxSessions - 1)
        }
        let token = Randomness.bytes(Self.tokenBytes)
        // Distinct from the token so it can be logged and shown without granting anything.
        let id = Hex.encode(Randomness.bytes(8))
        let hash = SHA256.hash(token)
        entries[hash] = Entry(id: id, created: now, lastSeen: now, storedLastSeen: now)
        return (Hex.encode(token), AuthSessionRow(tokenHash: hash, id: id, createdAt: now, lastSeen: now))
    }

    /// Takes back the logins a previous gateway stored; expired ones (and any beyond `maxSessions`,
    /// least recently used first) go to the store's deletes instead.
    public mutating func restore(_ rows: [AuthSessionRow], now: Int64) {
        for row in rows {
            let entry = Entry(id: row.id, created: row.createdAt, lastSeen: row.lastSeen, storedLastSeen: row.lastSeen)
            if isExpired(entry, now: now) {
                ended.append(row.tokenHash)
            } else {
                entries[row.tokenHash] = entry
            }
        }
        evictBeyond(settings.maxSessions)
    }

    /// The session id when the token is valid (exists, not idle-expired, not absolutely expired); refreshes its idle time.
    public mutating func validate(token: String, now: Int64) -> String? {
        guard let key = Self.key(for: token), var entry = entries[key] else { return nil }
        guard !isExpired(entry, now: now) else {
            entries[key] = nil
            ended.append(key)
            return nil
        }
        entry.lastSeen = max(entry.lastSeen, now)
        entries[key] = entry
        return entry.id
    }

    /// Returns the revoked session's id and the digest whose row the caller deletes at once: a logout
    /// must not come back with a restart.
    public mutating func revoke(token: String) -> (id: String, tokenHash: [UInt8])? {
        guard let key = Self.key(for: token), let entry = entries.removeValue(forKey: key) else { return nil }
        return (entry.id, key)
    }

    /// Drops expired sessions and hands over what the store must change: the last uses at least
    /// `touchInterval` newer than stored (with `everything`, any newer one: at shutdown) and the
    /// sessions that ended here.
    public mutating func takeStoreWork(now: Int64, everything: Bool = false) -> StoreWork {
        prune(now: now)
        let threshold = everything ? 1 : max(1, settings.touchInterval.inMilliseconds)
        var work = StoreWork(deletes: ended)
        ended = []
        for (hash, entry) in entries where entry.lastSeen - entry.storedLastSeen >= threshold {
            work.touches.append(AuthSessionTouch(tokenHash: hash, lastSeen: entry.lastSeen))
            entries[hash]?.storedLastSeen = entry.lastSeen
        }
        return work
    }

    mutating func prune(now: Int64) {
        for (hash, entry) in entries where isExpired(entry, now: now) {
            entries[hash] = nil
            ended.append(hash)
        }
    }

    private mutating func evictBeyond(_ limit: Int) {
        let excess = entries.count - max(0, limit)
        guard excess > 0 else { return }
        for (hash, _) in entries.sorted(by: { $0.value.lastSeen < $1.value.lastSeen }).prefix(excess) {
            entries[hash] = nil
            ended.append(hash)
        }
    }

    private func isExpired(_ entry: Entry, now: Int64) -> Bool {
        now - entry.lastSeen >= settings.idleTimeout.inMilliseconds || now - entry.created >= settings.absoluteTimeout.inMilliseconds
    }

    /// Only the exact form `create` hands out is looked up: 64 lower-case hex digits.
    static func key(for token: String) -> [UInt8]? {
        let utf8 = token.utf8
        guard utf8.count == tokenBytes * 2,
              utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let bytes = Hex.decode(utf8)
        else { return nil }
        return SHA256.hash(bytes)
    }
}

extension Duration {
    var inMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
