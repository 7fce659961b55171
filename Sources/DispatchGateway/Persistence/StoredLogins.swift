import DispatchPosix
import DispatchStore

/// The login sessions of `AuthSessions`, kept in the store so a browser stays logged in across a gateway
/// restart. Logins and logouts are written at once (they are rare, and a logout must not come back with
/// a restart); last uses and expiries go in one batch every `touchInterval`, so a request never waits for a
/// write. Uses the gateway's store connection, on the loop like `EventRecorder`.
///
/// A store that refuses writes (read-only, full) does not stop logins: they work from memory, with a
/// warning in the log. Loop-confined.
final class StoredLogins {
    private(set) var sessions: AuthSessions
    private let store: EventStore
    private let loop: EventLoop
    private let clock: () -> Int64
    /// Deletes the store refused, tried again with every batch.
    private var unwrittenDeletes: [[UInt8]] = []
    private var failing = false

    /// Restores the logins stored under `key`; logins stored under another key are revoked.
    init(store: EventStore, loop: EventLoop, key: String, settings: AuthSessions.Settings = .init(),
         clock: @escaping () -> Int64 = WallClock.milliseconds) {
        self.store = store
        self.loop = loop
        self.clock = clock
        sessions = AuthSessions(settings: settings)
        restore(key: key)
        scheduleBatch()
    }

    var settings: AuthSessions.Settings { sessions.settings }

    /// A new login: the token for the cookie and the login's id.
    func login() -> (token: String, id: String) {
        let (token, row) = sessions.create(now: clock())
        write("store a login") { try $0.addAuthSession(row) }
        return (token, row.id)
    }

    /// The login's id when the token is valid; the last use is written later, in a batch.
    func validate(token: String) -> String? {
        sessions.validate(token: token, now: clock())
    }

    /// Ends the login; returns its id.
    func logout(token: String) -> String? {
        guard let (id, hash) = sessions.revoke(token: token) else { return nil }
        if !write("delete a login", { try $0.deleteAuthSession(tokenHash: hash) }) { unwrittenDeletes.append(hash) }
        return id
    }

    /// Writes the due batch; `everything` (at shutdown) writes every newer last use, not only the due ones.
    func flush(everything: Bool = false) {
        var work = sessions.takeStoreWork(now: clock(), everything: everything)
        work.deletes += unwrittenDeletes
        guard !work.isEmpty else { return }
        unwrittenDeletes = write("update logins") { try $0.updateAuthSessions(touches: work.touches, deletes: work.deletes) } ? [] : work.deletes
    }

    private func restore(key: String) {
        write("restore logins") { store in
            if let fingerprint = try store.setting(EventStore.authKeySetting), KeyFingerprint.matches(fingerprint, key: key) {
                sessions.restore(try store.authSessions(), now: clock())
                if sessions.count > 0 { Log.info("logins restored", [("logins", "\(sessions.count)")]) }
            } else {
                let revoked = try store.revokeAuthSessions(keyFingerprint: KeyFingerprint.make(key: key))
                if revoked > 0 { Log.info("the access key changed: stored logins revoked", [("logins", "\(revoked)")]) }
            }
        }
        flush()
    }

    private func scheduleBatch() {
        loop.schedule(after: sessions.settings.touchInterval) { [weak self] in
            guard let self else { return }
            flush()
            scheduleBatch()
        }
    }

    /// Runs a store operation; a failure is logged once (until a write succeeds again) and reported as false.
    @discardableResult
    private func write(_ what: String, _ body: (EventStore) throws -> Void) -> Bool {
        do {
            try body(store)
        } catch {
            if !failing { Log.warn("cannot store logins; they work from memory until the store accepts writes", [("operation", what), ("error", "\(error)")]) }
            failing = true
            return false
        }
        if failing { Log.info("storing logins again") }
        failing = false
        return true
    }
}
