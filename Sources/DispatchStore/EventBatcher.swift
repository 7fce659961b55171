/// Groups events into write batches. One transaction per event caps SQLite near 26k rows/s;
/// batches of a few hundred reach 100k+ (see the reference notes). It does no I/O and reads no
/// clock: the caller passes the time, flushes when told, and arms a timer for `.flushAt`.
public struct EventBatcher: Sendable {
    public enum FlushDecision: Equatable, Sendable {
        /// The batch is full by count or bytes: take and write it now.
        case flushNow
        /// Write the batch by this time at the latest (the first event's arrival + `maxDelay`).
        case flushAt(ContinuousClock.Instant)
    }

    public let maxCount: Int
    public let maxBytes: Int
    public let maxDelay: Duration

    public private(set) var pending: [StoredEvent] = []
    /// Payload bytes pending, the measure the byte limit and retention use.
    public private(set) var pendingBytes = 0
    private var firstArrival: ContinuousClock.Instant?

    public init(maxCount: Int = 256, maxBytes: Int = 256 * 1024, maxDelay: Duration = .milliseconds(5)) {
        self.maxCount = max(1, maxCount)
        self.maxBytes = max(1, maxBytes)
        self.maxDelay = maxDelay
    }

    public var isEmpty: Bool { pending.isEmpty }

    /// When the pending batch is due, or nil when there is nothing pending.
    public var deadline: ContinuousClock.Instant? { firstArrival.map { $0 + maxDelay } }

    /// Adds an event that arrived at `now`. The deadline is fixed by the first event of a batch,
    /// so a steady trickle cannot postpone a write forever.
    public mutating func add(_ event: StoredEvent, at now: ContinuousClock.Instant) -> FlushDecision {
        if firstArrival == nil { firstArrival = now }
        pending.append(event)
        pendingBytes += event.payload.utf8.count
        if pending.count >= maxCount || pendingBytes >= maxBytes { return .flushNow }
        return .flushAt(deadline ?? now + maxDelay)
    }

    /// True when the pending batch is due at `now` (the timer fired, or the caller polls).
    public func isDue(at now: ContinuousClock.Instant) -> Bool {
        guard let deadline else { return false }
        return now >= deadline || pending.count >= maxCount || pendingBytes >= maxBytes
    }

    /// Hands over the pending events and starts a new batch.
    public mutating func take() -> [StoredEvent] {
        let batch = pending
        pending = []
        pending.reserveCapacity(min(batch.count, maxCount))
        pendingBytes = 0
        firstArrival = nil
        return batch
    }
}
