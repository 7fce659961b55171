import DispatchStore
import XCTest

/// `onWALCommit`: the connection reports the WAL's size after each commit and leaves checkpoints to
/// someone else, instead of running one inside the commit that crosses SQLite's threshold.
final class WALCommitHookTests: StoreTestCase {
    /// Enough batches of a ~3 KB event each to put more than 1000 pages (SQLite's threshold) in the WAL.
    private func appendPastTheThreshold(_ store: EventStore, from first: UInt64 = 1) throws {
        let payload = "\"" + String(repeating: "x", count: 3000) + "\""
        for seq in first..<(first + 600) { try store.append([event("a", seq, payload)]) }
    }

    func testTheWALGrowsPastTheThresholdUntilAnotherConnectionCheckpoints() throws {
        let store = try EventStore(path: path())
        try store.upsertSession(session("a"))
        var reported: [Int] = []
        store.database.onWALCommit { reported.append($0) }
        try appendPastTheThreshold(store)
        XCTAssertEqual(reported.count, 600)
        XCTAssertEqual(reported, reported.sorted(), "the WAL was reset: something checkpointed in a commit")
        XCTAssertGreaterThan(reported.last ?? 0, 1000)

        let other = try SQLiteDatabase(path: path())
        try other.execute("PRAGMA wal_checkpoint(PASSIVE)")
        try store.append([event("a", 601)])
        // The checkpoint copied everything back, so this commit started the WAL over.
        XCTAssertLessThan(reported.last ?? .max, 10)
        XCTAssertEqual(try store.lastSeq(runId: "a"), 601)
    }

    func testWithoutTheHookSQLiteCheckpointsInsideCommits() throws {
        let store = try EventStore(path: path())
        try store.upsertSession(session("a"))
        let before = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path())[.size] as? Int)
        try appendPastTheThreshold(store)
        let after = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path())[.size] as? Int)
        // The control for the test above: the events reached the main file through an automatic checkpoint.
        XCTAssertGreaterThan(after, before + 1_000_000)
    }
}
