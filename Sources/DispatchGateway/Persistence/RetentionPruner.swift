import DispatchPosix
import DispatchStore
import Foundation

/// Deletes events past the retention limits (age, and bytes per session) on a thread of its own with
/// its own connection: pruning commits in small chunks, so the loop's writes never wait long.
final class RetentionPruner: @unchecked Sendable {
    private let databasePath: String
    private let maxAge: Int64
    private let bytesPerSession: Int
    private let interval: TimeInterval

    /// Immutable after init; the thread owns the store it opens.
    init(databasePath: String, days: Int, bytesPerSession: Int, interval: TimeInterval = 600) {
        self.databasePath = databasePath
        self.maxAge = Int64(days) * 86_400_000
        self.bytesPerSession = bytesPerSession
        self.interval = interval
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "retention"
        thread.start()
    }

    private func run() {
        let store: EventStore
        do { store = try EventStore(path: databasePath) } catch {
            return Log.error("retention pruning disabled: cannot open the store", [("error", "\(error)")])
        }
        while true {
            do {
                let removed = try store.prune(olderThan: WallClock.milliseconds() - maxAge, maxBytesPerSession: bytesPerSession)
                if removed > 0 { Log.info("pruned old events", [("events", "\(removed)")]) }
            } catch {
                Log.warn("pruning failed; will try again", [("error", "\(error)")])
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
