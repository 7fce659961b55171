/// When a worker whose gateway went away tries the runtime socket again, and when it stops waiting:
/// attempts back off from `initialDelay`, doubling up to `maxDelay`, and the worker gives up (ends its
/// program) once `orphanTimeout` has passed since it lost the gateway. Failed attempts in between do
/// not move the deadline; only a welcome from a gateway ends the orphan time (a new policy next time).
public struct ReconnectPolicy: Sendable {
    public struct Settings: Sendable, Equatable {
        public var initialDelay: Duration
        public var maxDelay: Duration
        public var orphanTimeout: Duration

        public init(initialDelay: Duration = .milliseconds(50), maxDelay: Duration = .seconds(2), orphanTimeout: Duration) {
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
            self.orphanTimeout = orphanTimeout
        }
    }

    public enum Decision: Equatable, Sendable {
        case retry(after: Duration)
        case giveUp
    }

    public let settings: Settings
    public let deadline: ContinuousClock.Instant
    private var delay: Duration

    public init(settings: Settings, orphanedAt: ContinuousClock.Instant) {
        self.settings = settings
        deadline = orphanedAt + settings.orphanTimeout
        delay = settings.initialDelay
    }

    /// The gateway is not (or no longer) there at `now`: when to try next. The last wait is cut
    /// short at the deadline, so giving up happens on time rather than up to `maxDelay` late.
    public mutating func next(now: ContinuousClock.Instant) -> Decision {
        guard now < deadline else { return .giveUp }
        let wait = min(delay, deadline - now)
        delay = min(delay * 2, settings.maxDelay)
        return .retry(after: wait)
    }
}
