import DispatchPosix
import DispatchStore
import Foundation
import XCTest
@testable import DispatchGateway

/// The recorder's WAL is checkpointed by the checkpoint thread, not inside the loop's commits.
final class WALCheckpointerTests: XCTestCase {
    private var directory = ""
    private var path: String { directory + "/dispatch.db" }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func size() throws -> Int {
        try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// A recorder on a new store with one session, having written `batches` batches of one ~3 KB event
    /// (about two WAL pages each), each flushed on its own as the hub does at the end of a loop turn; and
    /// the main file's size before them.
    private func recorder(writing batches: UInt64, loop: EventLoop) throws -> (EventRecorder, Int) {
        let store = try EventStore(path: path)
        try store.upsertSession(SessionRow(id: "a", kind: "pty", status: "running", workspace: "w", title: "t", createdAt: 1, updatedAt: 1))
        let recorder = EventRecorder(store: store, loop: loop)
        let before = try size()
        let payload = "\"" + String(repeating: "x", count: 3000) + "\""
        for seq in UInt64(1)...batches {
            recorder.record(StoredEvent(runId: "a", seq: seq, channel: "pty:stdout", payload: payload, ts: 1))
            recorder.flush()
        }
        XCTAssertEqual(try store.events(runId: "a", after: 0, limit: 5000).count, Int(batches))
        return (recorder, before)
    }

    /// The checkpoint thread runs on its own time: waits (at most 30 s, not a timing assertion) until it
    /// copied the WAL into the main file, which grows past `size`. `turn` runs the loop meanwhile, if any.
    private func waitForCheckpoint(past size: Int, turn: (() -> Void)? = nil) throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while try self.size() < size + 1_000_000, ContinuousClock.now < deadline {
            if let turn { turn() } else { usleep(10_000) }
        }
        return try self.size() >= size + 1_000_000
    }

    func testAPauseAfterTheThresholdBringsACheckpoint() throws {
        let loop = try EventLoop()
        let (recorder, before) = try recorder(writing: 600, loop: loop)
        let checkpointed = try waitForCheckpoint(past: before) {
            loop.schedule(after: .milliseconds(10)) { loop.stop() }
            loop.run()
        }
        XCTAssertTrue(checkpointed, "nothing was checkpointed")
        withExtendedLifetime(recorder) {}
    }

    func testOutputThatNeverPausesIsCheckpointedAtTheLimit() throws {
        // The loop never runs, so no quiet moment is ever seen: only the limit (4000 frames) can ask.
        let (recorder, before) = try recorder(writing: 2200, loop: try EventLoop())
        XCTAssertTrue(try waitForCheckpoint(past: before), "nothing was checkpointed")
        withExtendedLifetime(recorder) {}
    }
}
