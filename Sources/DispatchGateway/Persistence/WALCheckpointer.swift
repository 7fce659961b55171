import DispatchPosix
import DispatchStore
import Foundation

/// Copies the WAL back into the database file on a thread of its own, with its own connection, when
/// asked (`CheckpointPolicy` says when). Left to SQLite, the loop's commit that finds the WAL over 1000
/// pages does it, with two fsyncs: every few hundred small batches, one keystroke's echo (and all
/// output) waited 3-5 ms for the disk. A passive checkpoint never makes the loop's writer wait;
/// durability is unchanged (the same fsyncs, elsewhere).
final class WALCheckpointer: @unchecked Sendable {
    /// Used by the checkpoint thread only, once `init` has returned.
    private let database: SQLiteDatabase
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var requested = false
    private var stopped = false

    /// Opens the second connection here, so that a failure leaves checkpoints where SQLite puts them.
    init(databasePath: String) throws(StoreError) {
        database = try SQLiteDatabase(path: databasePath)
        let thread = Thread { [self] in run() }
        thread.name = "checkpoint"
        thread.start()
    }

    /// Asks for a checkpoint soon; requests made while one runs fold into the next. Any thread.
    func request() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread after the checkpoint in progress, if any.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while !requested, !stopped { condition.wait() }
            let stopping = stopped
            requested = false
            condition.unlock()
            if stopping { return }
            do {
                try database.execute("PRAGMA wal_checkpoint(PASSIVE)")
            } catch {
                Log.warn("WAL checkpoint failed; the next request retries", [("error", "\(error)")])
            }
        }
    }
}
