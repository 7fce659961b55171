/// Login throttling, checked BEFORE the key is evaluated. Per client address: `freeAttempts` failures free, then one attempt
/// per `perClientInterval`; globally at most `globalPerMinute` failures per 60 s. A success resets that client's count.
///
/// The per-client limit stops one address from guessing; the global one caps what many addresses (a botnet, or spoofed
/// forwarding headers) can try together, at the price of briefly locking everyone out while under attack.
public struct LoginRateLimiter: Sendable {
    public struct Settings: Sendable, Equatable {
        public var freeAttempts = 5
        public var perClientInterval: Duration = .seconds(15)
        public var globalPerMinute = 30
        /// A bound on memory: beyond it the client whose last failure is oldest is forgotten.
        public var maxTrackedClients = 10_000
        /// A client with no failure for this long starts again with its free attempts, so a few typos spread over
        /// days do not leave someone throttled for good.
        public var forgetAfter: Duration = .seconds(15 * 60)

        public init() {}
    }

    public enum Verdict: Equatable, Sendable {
        case allowed
        case limited(retryAfter: Duration)
    }

    struct Client {
        var failures: Int
        var lastFailure: ContinuousClock.Instant
    }

    public let settings: Settings
    private(set) var clients: [String: Client] = [:]
    /// Failure instants of the last minute, oldest first; never longer than `globalPerMinute`, since older entries
    /// cannot change a verdict.
    private(set) var recentFailures: [ContinuousClock.Instant] = []

    private static let globalWindow: Duration = .seconds(60)

    public init(settings: Settings = .init()) {
        self.settings = settings
    }

    /// Whether a login attempt from `client` may be evaluated now. Counts nothing; only forgets what has expired.
    public mutating func check(client: String, now: ContinuousClock.Instant) -> Verdict {
        forgetGlobal(now: now)
        var wait: Duration = .zero
        if settings.globalPerMinute <= 0 {
            // A cap of zero would otherwise never recover, since no failure could ever be recorded to expire.
            wait = Self.globalWindow
        } else if recentFailures.count >= settings.globalPerMinute {
            wait = recentFailures[recentFailures.count - settings.globalPerMinute] + Self.globalWindow - now
        }
        if let record = clients[client] {
            if now - record.lastFailure >= settings.forgetAfter {
                clients[client] = nil
            } else if record.failures >= settings.freeAttempts {
                wait = max(wait, record.lastFailure + settings.perClientInterval - now)
            }
        }
        return wait > .zero ? .limited(retryAfter: wait) : .allowed
    }

    public mutating func recordFailure(client: String, now: ContinuousClock.Instant) {
        forgetGlobal(now: now)
        recentFailures.append(now)
        if recentFailures.count > max(settings.globalPerMinute, 1) {
            recentFailures.removeFirst(recentFailures.count - max(settings.globalPerMinute, 1))
        }
        if var record = clients[client], now - record.lastFailure < settings.forgetAfter {
            record.failures += 1
            record.lastFailure = now
            clients[client] = record
            return
        }
        if clients[client] == nil, clients.count >= settings.maxTrackedClients {
            evictOldest(now: now)
        }
        clients[client] = Client(failures: 1, lastFailure: now)
    }

    public mutating func recordSuccess(client: String) {
        clients[client] = nil
    }

    private mutating func forgetGlobal(now: ContinuousClock.Instant) {
        let expired = recentFailures.prefix { now - $0 >= Self.globalWindow }.count
        if expired > 0 { recentFailures.removeFirst(expired) }
    }

    /// A linear scan, but only when the table is full, and the global cap keeps failures (hence new entries)
    /// to a trickle, so this stays rare even under attack.
    private mutating func evictOldest(now: ContinuousClock.Instant) {
        let forgetAfter = settings.forgetAfter
        clients = clients.filter { now - $0.value.lastFailure < forgetAfter }
        guard clients.count >= settings.maxTrackedClients else { return }
        if let oldest = clients.min(by: { $0.value.lastFailure < $1.value.lastFailure })?.key {
            clients[oldest] = nil
        }
    }
}
