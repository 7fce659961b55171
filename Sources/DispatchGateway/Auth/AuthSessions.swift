import DispatchHTTP
import DispatchPosix

/// Server-side login sessions: a random 256-bit token goes into the cookie; only SHA-256(token) is kept.
///
/// Keeping only the digest means a leaked table (a heap dump, a debug print) does not hand out live cookies.
/// Lookups go by digest, so their timing says nothing useful about the token itself.
public struct AuthSessions: Sendable {
    public struct Settings: Sendable, Equatable {
        public var idleTimeout: Duration = .seconds(12 * 3600)
        public var absoluteTimeout: Duration = .seconds(7 * 24 * 3600)
        /// A bound on memory against a client that logs in in a loop; beyond it the least recently used session goes.
        public var maxSessions = 10_000

        public init() {}
    }

    struct Entry: Equatable {
        let id: String
        let created: ContinuousClock.Instant
        var lastSeen: ContinuousClock.Instant
    }

    public let settings: Settings
    /// Keyed by the hex SHA-256 of the token.
    private(set) var entries: [String: Entry] = [:]

    static let tokenBytes = 32

    public init(settings: Settings = .init()) {
        self.settings = settings
    }

    public var count: Int { entries.count }

    /// A new session; returns the token (64 hex chars) to put in the cookie, and an id for revocation/logging.
    public mutating func create(now: ContinuousClock.Instant) -> (token: String, id: String) {
        if entries.count >= settings.maxSessions {
            prune(now: now)
            if entries.count >= settings.maxSessions,
               let stalest = entries.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key {
                entries[stalest] = nil
            }
        }
        let token = Randomness.bytes(Self.tokenBytes)
        // Distinct from the token so it can be logged and shown without granting anything.
        let id = Hex.encode(Randomness.bytes(8))
        entries[Self.digest(token)] = Entry(id: id, created: now, lastSeen: now)
        return (Hex.encode(token), id)
    }

    /// The session id when the token is valid (exists, not idle-expired, not absolutely expired); refreshes its idle time.
    public mutating func validate(token: String, now: ContinuousClock.Instant) -> String? {
        guard let key = Self.key(for: token), var entry = entries[key] else { return nil }
        guard !isExpired(entry, now: now) else {
            entries[key] = nil
            return nil
        }
        entry.lastSeen = now
        entries[key] = entry
        return entry.id
    }

    /// Returns the revoked session id.
    public mutating func revoke(token: String) -> String? {
        guard let key = Self.key(for: token) else { return nil }
        return entries.removeValue(forKey: key)?.id
    }

    /// For key rotation: every id, so the caller can close those sessions' live sockets.
    public mutating func revokeAll() -> [String] {
        let ids = entries.values.map(\.id)
        entries.removeAll()
        return ids
    }

    public mutating func prune(now: ContinuousClock.Instant) {
        entries = entries.filter { !isExpired($0.value, now: now) }
    }

    private func isExpired(_ entry: Entry, now: ContinuousClock.Instant) -> Bool {
        now - entry.lastSeen >= settings.idleTimeout || now - entry.created >= settings.absoluteTimeout
    }

    /// Only the exact form `create` hands out is looked up: 64 lower-case hex digits.
    static func key(for token: String) -> String? {
        let utf8 = token.utf8
        guard utf8.count == tokenBytes * 2,
              utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let bytes = Hex.decode(utf8)
        else { return nil }
        return digest(bytes)
    }

    static func digest(_ token: [UInt8]) -> String {
        Hex.encode(SHA256.hash(token))
    }
}
