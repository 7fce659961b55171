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

    func testTheCheckpointThreadCopiesTheWALIntoTheDatabaseFile() throws {
        let path = directory + "/dispatch.db"
        let store = try EventStore(path: path)
        try store.upsertSession(SessionRow(id: "a", kind: "pty", status: "running", workspace: "w", title: "t", createdAt: 1, updatedAt: 1))
        let recorder = EventRecorder(store: store, loop: try EventLoop())
        let before = try size(path)
        let payload = "\"" + String(repeating: "x", count: 3000) + "\""
        // One batch per loop turn, as the hub flushes them: ~2 pages each, 1200 pages in all.
        for seq in UInt64(1)...600 {
            recorder.record(StoredEvent(runId: "a", seq: seq, channel: "pty:stdout", payload: payload, ts: 1))
            recorder.flush()
        }
        // The thread runs on its own time; waiting for it is not a timing assertion.
        let deadline = ContinuousClock.now + .seconds(30)
        while try size(path) < before + 1_000_000, ContinuousClock.now < deadline { usleep(10_000) }
        XCTAssertGreaterThan(try size(path), before + 1_000_000, "nothing was checkpointed")
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 1000).count, 600)
    }
}
