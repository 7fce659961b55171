import DispatchStore
import XCTest

/// `sessions.worker_seq`: how far a session's current worker got, stored with its events.
final class WorkerSeqTests: StoreTestCase {
    private func fromWorker(_ runId: String, _ seq: UInt64, workerSeq: UInt64?) -> StoredEvent {
        var stored = event(runId, seq)
        stored.workerSeq = workerSeq
        return stored
    }

    func testTheLastWorkerSeqOfEachBatchIsStoredWithTheEvents() throws {
        let store = try EventStore(path: path())
        try store.upsertSession(session("a"))
        try store.upsertSession(session("b"))
        XCTAssertEqual(try store.workerSeq(runId: "a"), 0)
        try store.append([fromWorker("a", 1, workerSeq: nil), fromWorker("a", 2, workerSeq: 1), fromWorker("b", 1, workerSeq: 7),
                          fromWorker("a", 3, workerSeq: 2), fromWorker("a", 4, workerSeq: nil)])
        XCTAssertEqual(try store.workerSeq(runId: "a"), 2)
        XCTAssertEqual(try store.workerSeq(runId: "b"), 7)
        // A new worker (after a crash) starts again: the seq may go down.
        try store.append([fromWorker("a", 5, workerSeq: 0)])
        XCTAssertEqual(try store.workerSeq(runId: "a"), 0)
        // Saving the session's row never touches it.
        try store.append([fromWorker("a", 6, workerSeq: 1)])
        try store.upsertSession(session("a", status: "stopped"))
        XCTAssertEqual(try store.workerSeq(runId: "a"), 1)
        XCTAssertEqual(try store.workerSeq(runId: "unknown"), 0)
    }

    func testAFailedBatchLeavesNeitherEventsNorWorkerSeq() throws {
        let store = try EventStore(path: path())
        try store.upsertSession(session("a"))
        try store.append([fromWorker("a", 1, workerSeq: 1)])
        try store.database.execute("CREATE TRIGGER refuse BEFORE INSERT ON session_events WHEN NEW.seq = 3 BEGIN SELECT RAISE(ABORT, 'no'); END")
        XCTAssertThrowsError(try store.append([fromWorker("a", 2, workerSeq: 2), fromWorker("a", 3, workerSeq: 3)]))
        XCTAssertEqual(try store.workerSeq(runId: "a"), 1)
        XCTAssertEqual(try store.lastSeq(runId: "a"), 1)
    }

    func testAVersionOneDatabaseIsUpgradedKeepingItsSessions() throws {
        do {
            let old = try SQLiteDatabase(path: path(), migrations: Array(Schema.migrations.prefix(1)))
            try old.execute("INSERT INTO sessions (id, kind, status, workspace, title, created_at, updated_at, last_seq) VALUES ('s', 'pty', 'running', 'w', 't', 1, 1, 40)")
        }
        let store = try EventStore(path: path())
        XCTAssertEqual(try store.database.userVersion(), Schema.version)
        XCTAssertEqual(try store.sessions().map(\.lastSeq), [40])
        XCTAssertEqual(try store.workerSeq(runId: "s"), 0)
    }

    func testMarkInterruptedKeepsTheSessionsBeingAdopted() throws {
        let store = try EventStore(path: path())
        for id in ["a", "b", "c"] { try store.upsertSession(session(id)) }
        XCTAssertEqual(try store.markInterrupted(statusesFrom: ["running"], to: "stopped", keeping: ["a", "c"]), 1)
        XCTAssertEqual(try store.sessions().map(\.status), ["running", "stopped", "running"])
    }
}
