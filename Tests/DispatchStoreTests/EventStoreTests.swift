import DispatchStore
import Foundation
import XCTest

final class EventStoreTests: StoreTestCase {
    func testEventsComeBackInSeqOrderAfterAPointWithinALimit() throws {
        let store = try EventStore(path: path())
        // Appended out of order across two batches: order comes from seq, not insertion.
        try store.append([event("a", 3), event("a", 1), event("a", 5)])
        try store.append([event("a", 2), event("a", 4)])
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 100).map(\.seq), [1, 2, 3, 4, 5])
        XCTAssertEqual(try store.events(runId: "a", after: 2, limit: 2).map(\.seq), [3, 4])
        XCTAssertEqual(try store.events(runId: "a", after: 5, limit: 10), [])
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 0), [])
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: -3), [])
        XCTAssertEqual(try store.events(runId: "a", after: .max, limit: 10), [])
        XCTAssertEqual(try store.events(runId: "nobody", after: 0, limit: 10), [])
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 1).first, event("a", 1))
        XCTAssertEqual(try store.firstSeq(runId: "a"), 1)
        XCTAssertEqual(try store.lastSeq(runId: "a"), 5)
        XCTAssertNil(try store.firstSeq(runId: "nobody"))
        XCTAssertEqual(try store.lastSeq(runId: "nobody"), 0)
    }

    func testAReplayedBatchIsIgnoredAndKeepsTheFirstCopy() throws {
        let store = try EventStore(path: path())
        try store.append([event("a", 1, "\"first\""), event("a", 2)])
        try store.append([event("a", 1, "\"second\""), event("a", 2), event("a", 3)])
        let stored = try store.events(runId: "a", after: 0, limit: 10)
        XCTAssertEqual(stored.map(\.seq), [1, 2, 3])
        XCTAssertEqual(stored.first?.payload, "\"first\"")
    }

    func testInterleavedRunsStaySeparate() throws {
        let store = try EventStore(path: path())
        let runs = (0..<20).map { "run-\($0)" }
        for batch in 0..<10 {
            var events: [StoredEvent] = []
            for seq in UInt64(batch * 10 + 1)...UInt64(batch * 10 + 10) {
                for run in runs { events.append(event(run, seq, "\"\(run)/\(seq)\"")) }
            }
            try store.append(events.shuffled())
        }
        for run in runs {
            let stored = try store.events(runId: run, after: 0, limit: 1000)
            XCTAssertEqual(stored.map(\.seq), Array(1...100))
            XCTAssertTrue(stored.allSatisfy { $0.runId == run && $0.payload == "\"\(run)/\($0.seq)\"" })
        }
    }

    func testPayloadsRoundTripByteForByte() throws {
        let store = try EventStore(path: path())
        let payloads = [
            "\"she said \\\"hi\\\"\" -- 'quoted' `ticks` ; DROP TABLE sessions; --",
            "\"héllo wörld – ✓ 日本語 🧑‍💻 \\u001b[31mred\\u001b[0m\"",
            "\"\"",
            "{\"text\":\"\\r\\n\\t\"}",
            "\"" + String(repeating: "é", count: 10) + "\"",
        ]
        try store.append(payloads.enumerated().map { event("a", UInt64($0.offset + 1), $0.element) })
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 10).map(\.payload), payloads)
        let channel = "claude:message"
        try store.append([StoredEvent(runId: "ünï", seq: 1, channel: channel, payload: "{}", ts: -5)])
        XCTAssertEqual(try store.events(runId: "ünï", after: 0, limit: 1), [StoredEvent(runId: "ünï", seq: 1, channel: channel, payload: "{}", ts: -5)])
    }

    func testOneMegabytePayloads() throws {
        let store = try EventStore(path: path())
        let big = (1...4).map { "\"" + String(repeating: Character(UnicodeScalar(UInt8(96 + $0))), count: 1 << 20) + "\"" }
        try store.append(big.enumerated().map { event("big", UInt64($0.offset + 1), $0.element) })
        XCTAssertEqual(try store.events(runId: "big", after: 0, limit: 10).map(\.payload), big)
        XCTAssertGreaterThan(try store.sizeInBytes(), 4 << 20)
    }

    func testASeqBeyondInt64IsRejectedAndTheBatchRolledBack() throws {
        let store = try EventStore(path: path())
        let error = storeError { () throws(StoreError) in try store.append([event("a", 1), event("a", .max)]) }
        guard case .invalidValue = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 10), [])
    }

    func testAppendAdvancesTheSessionsLastSeqSoPruningCannotRewindIt() throws {
        let store = try EventStore(path: path())
        try store.upsertSession(session("a"))
        try store.append((1...10).map { event("a", $0, ts: 1) })
        XCTAssertEqual(try store.sessions().first?.lastSeq, 10)
        // A stale row written by the caller must not move last_seq back.
        try store.upsertSession(session("a"))
        XCTAssertEqual(try store.sessions().first?.lastSeq, 10)
        XCTAssertEqual(try store.prune(olderThan: 100, maxBytesPerSession: 0), 10)
        XCTAssertNil(try store.firstSeq(runId: "a"))
        XCTAssertEqual(try store.lastSeq(runId: "a"), 10)
    }

    func testCommittedEventsSurviveAnOwnerThatNeverClosed() throws {
        var store: EventStore? = try EventStore(path: path())
        for batch in 0..<20 {
            try store?.append((1...50).map { event("a", UInt64(batch * 50) + $0) })
        }
        store = nil
        let reopened = try EventStore(path: path())
        XCTAssertEqual(try reopened.events(runId: "a", after: 0, limit: 5000).map(\.seq), Array(1...1000))
        XCTAssertTrue(try reopened.integrityCheck())
    }

    /// The files a `kill -9` leaves behind: the owner is still open (WAL not checkpointed, a
    /// transaction half done), and a copy of the database and its -wal is opened elsewhere.
    func testACrashSnapshotHasEveryCommittedBatchAndNoPartialOne() throws {
        let store = try EventStore(path: path())
        for batch in 0..<10 {
            try store.append((1...100).map { event("a", UInt64(batch * 100) + $0) })
        }
        try store.database.execute("BEGIN IMMEDIATE")
        for seq in 1001...1500 as ClosedRange<UInt64> {
            try store.database.execute(
                "INSERT INTO session_events (run_id, seq, channel, payload, ts) VALUES ('a', ?, 'x', ?, 0)",
                [.integer(Int64(seq)), .text(String(repeating: "z", count: 2000))]
            )
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path() + "-wal"))
        XCTAssertEqual(mkdir(path("crash"), 0o700), 0)
        for suffix in ["", "-wal"] {
            writeFile(path("crash/dispatch.db") + suffix, try XCTUnwrap(fileBytes(path() + suffix)))
        }
        try store.database.execute("ROLLBACK")

        let survivor = try EventStore(path: path("crash/dispatch.db"))
        XCTAssertEqual(try survivor.events(runId: "a", after: 0, limit: 5000).map(\.seq), Array(1...1000))
        XCTAssertTrue(try survivor.integrityCheck())
    }

    func testTwoConnectionsReadWhileTheOtherWrites() throws {
        let writer = try EventStore(path: path())
        let reader = try EventStore(path: path())
        try writer.append([event("a", 1)])
        var seen: [UInt64] = []
        // A read in progress on one connection must not stop the other from committing.
        try reader.database.query("SELECT seq FROM session_events WHERE run_id = 'a'") { (row: borrowing Row) throws(StoreError) in
            seen.append(try row.seq(0))
            try writer.append([event("a", 2)])
            return true
        }
        XCTAssertEqual(seen, [1])
        XCTAssertEqual(try reader.lastSeq(runId: "a"), 2)
    }

    func testAFullDiskIsAClearErrorAndTheStoreKeepsWorking() throws {
        let store = try EventStore(path: path())
        try store.append([event("a", 1)])
        // max_page_count stands in for a full disk: SQLite reports SQLITE_FULL either way.
        let pages = try XCTUnwrap(store.database.query("PRAGMA page_count").first?.first?.int64)
        try store.database.execute("PRAGMA max_page_count = \(pages + 2)")
        let big = "\"" + String(repeating: "x", count: 100_000) + "\""
        let error = storeError { () throws(StoreError) in try store.append([event("a", 2), event("a", 3, big)]) }
        XCTAssertEqual(error?.sqliteCode, 13)
        XCTAssertEqual(error?.isStorageUnavailable, true)
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 10).map(\.seq), [1])
        try store.append([event("a", 2)])
        XCTAssertTrue(try store.integrityCheck())
    }
}
