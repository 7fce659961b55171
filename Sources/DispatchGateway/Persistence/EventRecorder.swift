import DispatchPosix
import DispatchStore

/// Writes session events to the store in batches, off the per-event path: a batch goes when it is full
/// or a few milliseconds after its first event. What could not be written (a full disk, a read-only
/// file) is kept and retried; since workers are acknowledged only for stored events, a store that
/// cannot write holds the programs back instead of losing their output. Loop-confined.
final class EventRecorder {
    let store: EventStore
    private let loop: EventLoop
    /// Batches flush at a quarter of the worker window (and at the end of every loop turn, by the hub),
    /// so a worker waiting for acknowledgements of stored output never waits for the batch timer.
    private var batcher = EventBatcher(maxCount: 256, maxBytes: 64 * 1024, maxDelay: .milliseconds(5))
    private var retained: [StoredEvent] = []
    private var flushTimer: EventLoop.Timer?
    /// Checkpoints the WAL off the loop thread (nil if its connection could not be opened).
    private var checkpointer: WALCheckpointer?
    private var checkpointPolicy = CheckpointPolicy()
    /// Events written so far (for the metrics).
    private(set) var storedCount = 0
    /// The last store failure, while it lasts: /health reports it.
    private(set) var failure: StoreError?
    /// Events up to `seq` of session `runId` are stored.
    var onStored: (_ runId: String, _ seq: UInt64) -> Void = { _, _ in }

    init(store: EventStore, loop: EventLoop) {
        self.store = store
        self.loop = loop
        do {
            checkpointer = try WALCheckpointer(databasePath: store.database.path)
            store.database.onWALCommit { [weak self] frames in
                guard let self else { return }
                apply(checkpointPolicy.committed(frames: frames, at: .now))
            }
        } catch {
            Log.warn("WAL checkpoints stay in the loop's commits: no second connection", [("error", "\(error)")])
        }
    }

    deinit { checkpointer?.stop() }

    func record(_ event: StoredEvent) {
        switch batcher.add(event, at: .now) {
        case .flushNow:
            flush()
        case .flushAt(let deadline):
            if flushTimer == nil {
                flushTimer = loop.schedule(at: deadline) { [unowned self] in
                    flushTimer = nil
                    flush()
                }
            }
        }
    }

    /// Writes everything pending now (before a replay reads the store, and on shutdown).
    func flush() {
        if let flushTimer { loop.cancel(flushTimer) }
        flushTimer = nil
        let batch = retained + batcher.take()
        guard !batch.isEmpty else { return }
        do {
            try store.append(batch)
        } catch {
            if failure == nil { Log.error("cannot store events; holding them and retrying", [("error", "\(error)")]) }
            failure = error
            retained = batch
            flushTimer = loop.schedule(after: .seconds(1)) { [unowned self] in
                flushTimer = nil
                flush()
            }
            return
        }
        if failure != nil { Log.info("storing events again") }
        failure = nil
        storedCount += batch.count
        retained = []
        var stored: [String: UInt64] = [:]
        for event in batch { stored[event.runId] = max(stored[event.runId] ?? 0, event.seq) }
        for (runId, seq) in stored { onStored(runId, seq) }
    }

    private func apply(_ decision: CheckpointPolicy.Decision) {
        switch decision {
        case .none:
            break
        case .checkpointNow:
            checkpointer?.request()
        case .checkAt(let deadline):
            loop.schedule(at: deadline) { [weak self] in
                guard let self else { return }
                apply(checkpointPolicy.check(at: .now))
            }
        }
    }

    /// Events of a session after `seq`, oldest first, at most `limit`: the stored ones, then any the
    /// store could not take yet (so a replay has no gap while the disk is full).
    func events(runId: String, after seq: UInt64, limit: Int) throws(StoreError) -> [StoredEvent] {
        flush()
        var page = try store.events(runId: runId, after: seq, limit: limit)
        if page.count < limit, !retained.isEmpty {
            let from = page.last?.seq ?? seq
            page += retained.filter { $0.runId == runId && $0.seq > from }.prefix(limit - page.count)
        }
        return page
    }

    /// Runs a store operation, noting a failure for /health.
    @discardableResult
    func attempt<T>(_ what: String, _ body: (EventStore) throws -> T) -> T? {
        do {
            return try body(store)
        } catch {
            Log.error("store operation failed", [("operation", what), ("error", "\(error)")])
            if let error = error as? StoreError { failure = error }
            return nil
        }
    }
}
