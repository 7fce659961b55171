/// Decides when a dead worker is restarted, and when its session is given up, the way an
/// Erlang/OTP supervisor does: exponential backoff, plus a cap on restarts per time window
/// so a worker that crashes on start cannot spin forever.
public struct RestartPolicy: Sendable {
    public struct Settings: Sendable, Equatable {
        public var initialBackoff: Duration
        public var maxBackoff: Duration
        /// Restarts allowed within `window`; one more and the session is given up (status `error`).
        public var maxRestarts: Int
        public var window: Duration
        /// A worker up this long when it dies has earned a fresh, short backoff.
        public var stableAfter: Duration

        public init(
            initialBackoff: Duration = .milliseconds(100),
            maxBackoff: Duration = .seconds(30),
            maxRestarts: Int = 5,
            window: Duration = .seconds(60),
            stableAfter: Duration = .seconds(30)
        ) {
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.maxRestarts = maxRestarts
            self.window = window
            self.stableAfter = stableAfter
        }
    }

    public enum Decision: Equatable, Sendable {
        case restart(after: Duration, attempt: Int)
        case giveUp(restartsInWindow: Int)
    }

    public let settings: Settings
    public private(set) var totalRestarts = 0
    private var startedAt: ContinuousClock.Instant?
    private var consecutive = 0
    private var recent: [ContinuousClock.Instant] = []

    /// `totalRestarts`: how many the session had before (in an earlier gateway's life).
    public init(settings: Settings = .init(), totalRestarts: Int = 0) {
        self.settings = settings
        self.totalRestarts = totalRestarts
    }

    /// A worker started (first start or restart) at `now`.
    public mutating func started(at now: ContinuousClock.Instant) {
        startedAt = now
    }

    /// The worker died (not a clean program exit) at `now`: what to do.
    public mutating func died(at now: ContinuousClock.Instant) -> Decision {
        if let startedAt, now - startedAt >= settings.stableAfter {
            consecutive = 0
        }
        startedAt = nil
        let window = settings.window
        recent.removeAll { now - $0 >= window }
        if recent.count >= settings.maxRestarts {
            return .giveUp(restartsInWindow: recent.count)
        }
        consecutive += 1
        recent.append(now)
        totalRestarts += 1
        return .restart(after: backoff(attempt: consecutive), attempt: consecutive)
    }

    /// A user asked to restart a session in `error`: forget history, but not `totalRestarts`,
    /// which counts over the session's whole life.
    public mutating func reset() {
        startedAt = nil
        consecutive = 0
        recent.removeAll()
    }

    private func backoff(attempt: Int) -> Duration {
        var delay = settings.initialBackoff
        // Stop doubling at the cap rather than computing 2^attempt, which could overflow.
        for _ in 1..<attempt where delay < settings.maxBackoff {
            delay = delay * 2
        }
        return min(delay, settings.maxBackoff)
    }
}
