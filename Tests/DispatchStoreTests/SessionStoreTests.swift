import DispatchStore
import XCTest

final class SessionStoreTests: StoreTestCase {
    func testUpsertInsertsThenReplacesAndListsByCreationTime() throws {
        let store = try EventStore(path: path())
        try store.upsertSession(session("late", createdAt: 30))
        try store.upsertSession(session("early", createdAt: 10))
        var row = session("middle", createdAt: 20)
        row.meta = "{\"model\":\"x\",\"quote\":\"'\"}"
        row.restarts = 3
        try store.upsertSession(row)
        XCTAssertEqual(try store.sessions().map(\.id), ["early", "middle", "late"])

        row.title = "renamed ✓"
        row.status = "stopped"
        row.updatedAt = 99
        try store.upsertSession(row)
        XCTAssertEqual(try store.sessions().count, 3)
        XCTAssertEqual(try store.sessions()[1], row)
    }

    func testMarkInterruptedMovesOnlyTheGivenStatuses() throws {
        let store = try EventStore(path: path())
        for (id, status) in [("a", "running"), ("b", "starting"), ("c", "stopped"), ("d", "error"), ("e", "running")] {
            try store.upsertSession(session(id, status: status))
        }
        XCTAssertEqual(try store.markInterrupted(statusesFrom: ["running", "starting"], to: "error", updatedAt: 77), 3)
        let rows = try store.sessions()
        XCTAssertEqual(rows.map(\.status), ["error", "error", "stopped", "error", "error"])
        XCTAssertEqual(rows.map(\.updatedAt), [77, 77, 1, 1, 77])
        XCTAssertEqual(try store.markInterrupted(statusesFrom: ["running", "starting"], to: "error"), 0)
        XCTAssertEqual(try store.markInterrupted(statusesFrom: [], to: "error"), 0)
    }

    func testDeleteSessionRemovesItsEventsOnly() throws {
        let store = try EventStore(path: path())
        try store.upsertSession(session("a"))
        try store.upsertSession(session("b"))
        try store.append((1...5).map { event("a", $0) } + (1...5).map { event("b", $0) })
        try store.deleteSession(id: "a")
        XCTAssertEqual(try store.sessions().map(\.id), ["b"])
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 10), [])
        XCTAssertEqual(try store.lastSeq(runId: "a"), 0)
        XCTAssertEqual(try store.events(runId: "b", after: 0, limit: 10).count, 5)
        try store.deleteSession(id: "never-existed")
    }

    func testWorkspaces() throws {
        let store = try EventStore(path: path())
        XCTAssertEqual(try store.workspaces(), [])
        XCTAssertTrue(try store.addWorkspace(name: "zeta", createdAt: 1))
        XCTAssertTrue(try store.addWorkspace(name: "alpha", createdAt: 2))
        XCTAssertFalse(try store.addWorkspace(name: "alpha", createdAt: 3))
        XCTAssertEqual(try store.workspaces(), ["alpha", "zeta"])
        try store.removeWorkspace(name: "zeta")
        XCTAssertEqual(try store.workspaces(), ["alpha"])
    }
}
