import DispatchPosix
import DispatchStore
import Foundation
import XCTest
@testable import DispatchGateway

/// The recorder's WAL is checkpointed by the checkpoint thread, not inside the loop's commits.
final class WALCheckpointerTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func size(_ path: String) throws -> Int {
        try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// Writes `batches` batches of one ~3 KB event (about two WAL pages each), one per loop turn as the
    /// hub flushes them, then runs the loop until the main database file has grown by a megabyte (the
    /// checkpoint thread copied the WAL into it) or 30 s have passed. Returns the growth.
    private func growthAfterWriting(batches: UInt64) throws -> Int {
        let path = directory + "/dispatch.db"
        let store = try EventStore(path: path)
        try store.upsertSession(SessionRow(id: "a", kind: "pty", status: "running", workspace: "w", title: "t", createdAt: 1, updatedAt: 1))
        let loop = try EventLoop()
        let recorder = EventRecorder(store: store, loop: loop)
        let before = try size(path)
        let payload = "\"" + String(repeating: "x", count: 3000) + "\""
        for seq in UInt64(1)...batches {
            recorder.record(StoredEvent(runId: "a", seq: seq, channel: "pty:stdout", payload: payload, ts: 1))
            recorder.flush()
        }
        // The thread runs on its own time; waiting for it is not a timing assertion.
        let deadline = ContinuousClock.now + .seconds(30)
        func watch() {
            loop.schedule(after: .milliseconds(10)) { [self] in
                let grown = ((try? size(path)) ?? 0) - before
                if grown > 1_000_000 || ContinuousClock.now > deadline { return loop.stop() }
                watch()
            }
        }
        watch()
        loop.run()
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 5000).count, Int(batches))
        return try size(path) - before
    }

    func testAPauseAfterTheThresholdBringsACheckpoint() throws {
        XCTAssertGreaterThan(try growthAfterWriting(batches: 600), 1_000_000, "nothing was checkpointed")
    }

    func testOutputThatNeverPausesIsCheckpointedAtTheLimit() throws {
        // No loop turn between the batches, so no quiet moment: only the limit (4000 frames) can ask.
        let path = directory + "/dispatch.db"
        let store = try EventStore(path: path)
        try store.upsertSession(SessionRow(id: "a", kind: "pty", status: "running", workspace: "w", title: "t", createdAt: 1, updatedAt: 1))
        let recorder = EventRecorder(store: store, loop: try EventLoop())
        let before = try size(path)
        let payload = "\"" + String(repeating: "x", count: 3000) + "\""
        for seq in UInt64(1)...2200 {
            recorder.record(StoredEvent(runId: "a", seq: seq, channel: "pty:stdout", payload: payload, ts: 1))
            recorder.flush()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while try size(path) < before + 1_000_000, ContinuousClock.now < deadline { usleep(10_000) }
        XCTAssertGreaterThan(try size(path), before + 1_000_000, "nothing was checkpointed")
    }
}
