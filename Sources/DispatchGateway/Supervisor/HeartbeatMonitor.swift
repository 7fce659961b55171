/// Detects a peer that is connected but hung: its socket stays open, so only the absence of
/// traffic can tell. Pings give a quiet peer something to answer.
public struct HeartbeatMonitor: Sendable {
    public enum Action: Equatable, Sendable {
        case none
        case sendPing(nonce: UInt64)
        case declareDead
    }

    public let interval: Duration
    public let missesAllowed: Int
    public private(set) var nextDeadline: ContinuousClock.Instant
    private var lastNonce: UInt64 = 0
    private var unanswered = 0
    private var dead = false

    public init(interval: Duration = .seconds(5), missesAllowed: Int = 3, now: ContinuousClock.Instant) {
        precondition(interval > .zero && missesAllowed >= 1)
        self.interval = interval
        self.missesAllowed = missesAllowed
        self.nextDeadline = now + interval
    }

    /// Call on a timer, by `nextDeadline` at the latest. Once `.declareDead` has been returned,
    /// later ticks return `.none`: the owner is already dropping the peer.
    public mutating func tick(now: ContinuousClock.Instant) -> Action {
        guard !dead, now >= nextDeadline else { return .none }
        // Each ping gets a full interval to be answered, so the verdict comes one interval
        // after the last allowed ping, not when it is sent.
        if unanswered >= missesAllowed {
            dead = true
            return .declareDead
        }
        lastNonce += 1
        unanswered += 1
        // From `now`, not from the old deadline: a late tick (e.g. after a stall of our own)
        // must not fire a burst of catch-up pings.
        nextDeadline = now + interval
        return .sendPing(nonce: lastNonce)
    }

    /// Only the latest ping's nonce counts, so a stale or forged pong cannot keep a hung peer alive.
    /// `now` is unused today; it keeps the signature uniform with the other events.
    public mutating func pong(nonce: UInt64, now: ContinuousClock.Instant) {
        if nonce == lastNonce, lastNonce != 0 { unanswered = 0 }
    }

    /// Any frame proves the peer alive: a worker flooding output may be too busy to answer pings promptly.
    public mutating func heardFrom(now: ContinuousClock.Instant) {
        unanswered = 0
    }
}
