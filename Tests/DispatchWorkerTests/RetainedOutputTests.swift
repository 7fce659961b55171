import DispatchTestSupport
import DispatchWire
@testable import DispatchWorker
import XCTest

final class RetainedOutputTests: XCTestCase {
    @discardableResult
    private func append(_ retained: inout RetainedOutput, _ size: Int) -> WireMessage {
        retained.append({ .output(seq: $0, bytes: Array(repeating: 0x41, count: size)) }, size: size)
    }

    private func seqs(_ messages: [WireMessage]) -> [UInt64] {
        messages.map {
            switch $0 {
            case .output(let seq, _), .event(let seq, _, _), .exit(let seq, _): seq
            default: 0
            }
        }
    }

    func testNumbersFromOneAndReturnsTheMessage() {
        var retained = RetainedOutput(window: 100)
        XCTAssertTrue(retained.isEmpty)
        XCTAssertEqual(retained.lastSeq, 0)
        XCTAssertEqual(append(&retained, 3), .output(seq: 1, bytes: [0x41, 0x41, 0x41]))
        XCTAssertEqual(retained.append({ .event(seq: $0, channel: "c", payload: [1]) }, size: 1), .event(seq: 2, channel: "c", payload: [1]))
        XCTAssertEqual(retained.append({ .exit(seq: $0, .exited(code: 0)) }, size: 0), .exit(seq: 3, .exited(code: 0)))
        XCTAssertEqual(retained.lastSeq, 3)
        XCTAssertFalse(retained.isEmpty)
        XCTAssertEqual(retained.unacknowledgedBytes, 4)
    }

    func testHasRoomOnlyBelowTheWindow() {
        var retained = RetainedOutput(window: 10)
        XCTAssertTrue(retained.hasRoom)
        append(&retained, 9)
        XCTAssertTrue(retained.hasRoom)
        append(&retained, 1)
        XCTAssertEqual(retained.unacknowledgedBytes, 10)
        XCTAssertFalse(retained.hasRoom)
        append(&retained, 5)  // a read may overshoot the window
        XCTAssertEqual(retained.unacknowledgedBytes, 15)
        XCTAssertFalse(retained.hasRoom)
        retained.window = 16
        XCTAssertTrue(retained.hasRoom)
        retained.window = 10
        retained.acknowledge(through: 1)
        XCTAssertEqual(retained.unacknowledgedBytes, 6)
        XCTAssertTrue(retained.hasRoom)
    }

    func testAcknowledge() {
        var retained = RetainedOutput(window: 1000)
        for size in [10, 20, 30, 40] { append(&retained, size) }
        retained.acknowledge(through: 0)
        XCTAssertEqual(retained.unacknowledgedBytes, 100)
        retained.acknowledge(through: 2)
        XCTAssertEqual(retained.unacknowledgedBytes, 70)
        XCTAssertEqual(seqs(retained.messages(after: 0)), [3, 4])
        // Already acknowledged: no change, not counted twice.
        retained.acknowledge(through: 2)
        retained.acknowledge(through: 1)
        retained.acknowledge(through: 0)
        XCTAssertEqual(retained.unacknowledgedBytes, 70)
        XCTAssertEqual(seqs(retained.messages(after: 0)), [3, 4])
        // Beyond what exists: everything is taken, and later messages are still retained.
        retained.acknowledge(through: 99)
        XCTAssertEqual(retained.unacknowledgedBytes, 0)
        XCTAssertTrue(retained.isEmpty)
        XCTAssertEqual(retained.messages(after: 0), [])
        XCTAssertEqual(retained.lastSeq, 4)
        XCTAssertEqual(append(&retained, 5), .output(seq: 5, bytes: Array(repeating: 0x41, count: 5)))
        XCTAssertEqual(retained.unacknowledgedBytes, 5)
        XCTAssertEqual(seqs(retained.messages(after: 0)), [5])
    }

    func testMessagesAfterASeq() {
        var retained = RetainedOutput(window: 1000)
        let sent = (1...6).map { append(&retained, $0) }
        XCTAssertEqual(retained.messages(after: 0), sent)
        XCTAssertEqual(retained.messages(after: 4), Array(sent[4...]))
        XCTAssertEqual(retained.messages(after: 6), [])
        XCTAssertEqual(retained.messages(after: .max), [])
        retained.acknowledge(through: 3)
        // Before the acked point: only what is not acknowledged.
        XCTAssertEqual(retained.messages(after: 0), Array(sent[3...]))
        XCTAssertEqual(retained.messages(after: 2), Array(sent[3...]))
        XCTAssertEqual(retained.messages(after: 5), [sent[5]])
        // Asking does not consume.
        XCTAssertEqual(retained.messages(after: 0), Array(sent[3...]))
        XCTAssertEqual(retained.unacknowledgedBytes, 4 + 5 + 6)
    }

    func testStaysCorrectThroughManyAcksAndCompactions() {
        var retained = RetainedOutput(window: 1 << 20)
        var rng = SplitMix64(seed: 7)
        var acked: UInt64 = 0
        var expectedBytes = 0
        var sizes: [UInt64: Int] = [:]
        for step in 1...10_000 {
            let size = Int.random(in: 0...50, using: &rng)
            XCTAssertEqual(append(&retained, size), .output(seq: UInt64(step), bytes: Array(repeating: 0x41, count: size)))
            sizes[UInt64(step)] = size
            expectedBytes += size
            // Ack sometimes, lagging by a random amount, occasionally a stale ack.
            if Int.random(in: 0..<3, using: &rng) == 0 {
                let target = UInt64(step) - UInt64.random(in: 0...min(UInt64(step), 200), using: &rng)
                if target > acked {
                    for seq in (acked + 1)...target { expectedBytes -= sizes.removeValue(forKey: seq)! }
                    acked = target
                }
                retained.acknowledge(through: target)
            }
            XCTAssertEqual(retained.unacknowledgedBytes, expectedBytes)
            if step % 97 == 0 {
                let pending = seqs(retained.messages(after: 0))
                XCTAssertEqual(pending, acked < UInt64(step) ? Array((acked + 1)...UInt64(step)) : [])
                let from = acked + UInt64.random(in: 0...20, using: &rng)
                XCTAssertEqual(seqs(retained.messages(after: from)), pending.filter { $0 > from })
            }
        }
        XCTAssertEqual(retained.lastSeq, 10_000)
        retained.acknowledge(through: 10_000)
        XCTAssertEqual(retained.unacknowledgedBytes, 0)
        XCTAssertTrue(retained.isEmpty)
        XCTAssertEqual(retained.messages(after: 0), [])
        XCTAssertEqual(append(&retained, 1), .output(seq: 10_001, bytes: [0x41]))
    }

    /// Append and ack one at a time: compaction runs over and over with a single live message.
    func testAppendAndAckInLockstep() {
        var retained = RetainedOutput(window: 10)
        for step in 1...10_000 as ClosedRange<UInt64> {
            append(&retained, 3)
            XCTAssertEqual(seqs(retained.messages(after: step - 1)), [step])
            retained.acknowledge(through: step)
            XCTAssertTrue(retained.isEmpty)
            XCTAssertEqual(retained.unacknowledgedBytes, 0)
        }
        XCTAssertEqual(retained.lastSeq, 10_000)
    }
}
