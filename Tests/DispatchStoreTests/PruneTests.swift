import DispatchStore
import XCTest

final class PruneTests: StoreTestCase {
    func testPrunesByAgeAndMovesFirstSeq() throws {
        let store = try EventStore(path: path())
        try store.append((1...10).map { event("a", $0, ts: Int64($0) * 100) })
        try store.append((1...3).map { event("b", $0, ts: 5_000) })
        XCTAssertEqual(try store.prune(olderThan: 450, maxBytesPerSession: 0), 4)
        XCTAssertEqual(try store.firstSeq(runId: "a"), 5)
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 100).map(\.seq), Array(5...10))
        XCTAssertEqual(try store.firstSeq(runId: "b"), 1)
        XCTAssertEqual(try store.lastSeq(runId: "a"), 10)
        XCTAssertEqual(try store.prune(olderThan: 450, maxBytesPerSession: 0), 0)
    }

    func testARunOlderThanTheCutoffIsRemovedEntirely() throws {
        let store = try EventStore(path: path())
        try store.upsertSession(session("old"))
        try store.append((1...5).map { event("old", $0, ts: 10) })
        XCTAssertEqual(try store.prune(olderThan: 11, maxBytesPerSession: 0), 5)
        XCTAssertNil(try store.firstSeq(runId: "old"))
        // The session row remembers where the run got to, so its next event is still seq 6.
        XCTAssertEqual(try store.lastSeq(runId: "old"), 5)
    }

    func testHistoryStaysContiguousWhenTheClockSteppedBack() throws {
        let store = try EventStore(path: path())
        // seq 3 was stamped by a clock that had jumped back; deleting only it would leave a hole.
        let stamps: [Int64] = [100, 200, 50, 900, 950]
        try store.append(stamps.enumerated().map { event("a", UInt64($0.offset + 1), ts: $0.element) })
        XCTAssertEqual(try store.prune(olderThan: 150, maxBytesPerSession: 0), 1)
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 10).map(\.seq), [2, 3, 4, 5])
    }

    func testPrunesTheOldestBeyondTheByteBudgetOfEachRun() throws {
        let store = try EventStore(path: path())
        let tenBytes = "\"12345678\""
        try store.append((1...100).map { event("a", $0, tenBytes) })
        try store.append((1...5).map { event("b", $0, tenBytes) })
        XCTAssertEqual(try store.prune(olderThan: 0, maxBytesPerSession: 255), 75)
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 1000).map(\.seq), Array(76...100))
        XCTAssertEqual(try store.firstSeq(runId: "a"), 76)
        XCTAssertEqual(try store.firstSeq(runId: "b"), 1)
    }

    func testTheByteBudgetCountsUTF8BytesNotCharacters() throws {
        let store = try EventStore(path: path())
        // 4 characters, 10 bytes.
        let wide = "日本語!"
        XCTAssertEqual(wide.utf8.count, 10)
        try store.append((1...10).map { event("a", $0, wide) })
        XCTAssertEqual(try store.prune(olderThan: 0, maxBytesPerSession: 30), 7)
        XCTAssertEqual(try store.firstSeq(runId: "a"), 8)
    }

    func testAgeAndBytesTogetherTakeTheLaterCutoff() throws {
        let store = try EventStore(path: path())
        try store.append((1...20).map { event("a", $0, "\"12345678\"", ts: Int64($0)) })
        // Age alone drops 1...4, bytes alone drops 1...10.
        XCTAssertEqual(try store.prune(olderThan: 5, maxBytesPerSession: 100), 10)
        XCTAssertEqual(try store.firstSeq(runId: "a"), 11)
        // Now age is the stricter one.
        XCTAssertEqual(try store.prune(olderThan: 15, maxBytesPerSession: 100), 4)
        XCTAssertEqual(try store.firstSeq(runId: "a"), 15)
    }

    func testDeletesInSmallChunks() throws {
        let store = try EventStore(path: path())
        try store.append((1...2_500).map { event("a", $0, ts: 1) })
        try store.append([event("a", 2_501, ts: 10)])
        XCTAssertEqual(try store.prune(olderThan: 5, maxBytesPerSession: 0, chunk: 7), 2_500)
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 10).map(\.seq), [2_501])
        XCTAssertTrue(try store.integrityCheck())
    }

    func testAPrunerOnASecondConnectionLeavesTheWriterWorking() throws {
        let writer = try EventStore(path: path())
        let pruner = try EventStore(path: path())
        try writer.append((1...3_000).map { event("a", $0, ts: Int64($0)) })
        XCTAssertEqual(try pruner.prune(olderThan: 2_001, maxBytesPerSession: 0), 2_000)
        try writer.append([event("a", 3_001, ts: 3_001)])
        XCTAssertEqual(try writer.firstSeq(runId: "a"), 2_001)
        XCTAssertEqual(try writer.lastSeq(runId: "a"), 3_001)
    }
}
