/// Deadlines in order. A loop has few timers (a heartbeat and a backoff per session), so a sorted
/// array beats a heap on clarity at no measurable cost.
struct TimerQueue<Action> {
    private struct Entry {
        let deadline: ContinuousClock.Instant
        let id: UInt64
        let action: Action
    }

    private var entries: [Entry] = []
    private var lastID: UInt64 = 0

    var nextDeadline: ContinuousClock.Instant? { entries.first?.deadline }

    mutating func insert(at deadline: ContinuousClock.Instant, _ action: Action) -> UInt64 {
        lastID += 1
        // Equal deadlines keep insertion order: after every entry that is not later.
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].deadline <= deadline { low = mid + 1 } else { high = mid }
        }
        entries.insert(Entry(deadline: deadline, id: lastID, action: action), at: low)
        return lastID
    }

    mutating func remove(id: UInt64) {
        if let index = entries.firstIndex(where: { $0.id == id }) {
            entries.remove(at: index)
        }
    }

    /// Takes every action whose deadline is at or before `now`, earliest first.
    mutating func popDue(now: ContinuousClock.Instant) -> [Action] {
        let due = entries.prefix { $0.deadline <= now }
        guard !due.isEmpty else { return [] }
        entries.removeFirst(due.count)
        return due.map(\.action)
    }
}
