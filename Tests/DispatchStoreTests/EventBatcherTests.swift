import DispatchStore
import XCTest

final class EventBatcherTests: XCTestCase {
    private let start = ContinuousClock.now

    func testTheFirstEventSetsTheDeadlineAndLaterOnesKeepIt() {
        var batcher = EventBatcher(maxCount: 10, maxBytes: 1_000, maxDelay: .milliseconds(5))
        XCTAssertNil(batcher.deadline)
        XCTAssertEqual(batcher.add(event("a", 1), at: start), .flushAt(start + .milliseconds(5)))
        XCTAssertEqual(batcher.add(event("a", 2), at: start + .milliseconds(4)), .flushAt(start + .milliseconds(5)))
        XCTAssertFalse(batcher.isDue(at: start + .milliseconds(4)))
        XCTAssertTrue(batcher.isDue(at: start + .milliseconds(5)))
        XCTAssertEqual(batcher.take().map(\.seq), [1, 2])
        XCTAssertTrue(batcher.isEmpty)
        XCTAssertNil(batcher.deadline)
        XCTAssertFalse(batcher.isDue(at: start + .seconds(10)))
        // A new batch gets a new deadline from its own first event.
        XCTAssertEqual(batcher.add(event("a", 3), at: start + .milliseconds(9)), .flushAt(start + .milliseconds(14)))
    }

    func testFlushesNowAtTheCountLimit() {
        var batcher = EventBatcher(maxCount: 3, maxBytes: 1_000_000)
        XCTAssertNotEqual(batcher.add(event("a", 1), at: start), .flushNow)
        XCTAssertNotEqual(batcher.add(event("a", 2), at: start), .flushNow)
        XCTAssertEqual(batcher.add(event("a", 3), at: start), .flushNow)
        XCTAssertTrue(batcher.isDue(at: start))
        XCTAssertEqual(batcher.take().count, 3)
        XCTAssertEqual(batcher.pendingBytes, 0)
    }

    func testFlushesNowAtTheByteLimitCountingUTF8() {
        var batcher = EventBatcher(maxCount: 100, maxBytes: 20)
        XCTAssertEqual(batcher.add(event("a", 1, "日本語"), at: start), .flushAt(start + .milliseconds(5)))
        XCTAssertEqual(batcher.pendingBytes, 9)
        XCTAssertEqual(batcher.add(event("a", 2, "日本語"), at: start), .flushAt(start + .milliseconds(5)))
        XCTAssertEqual(batcher.add(event("a", 3, "日本語"), at: start), .flushNow)
        XCTAssertEqual(batcher.pending.count, 3)
    }

    func testOneHugeEventFlushesAtOnce() {
        var batcher = EventBatcher()
        XCTAssertEqual(batcher.add(event("a", 1, String(repeating: "x", count: 300_000)), at: start), .flushNow)
        XCTAssertEqual(batcher.take().count, 1)
    }

    func testDefaultsAndNonsenseLimits() {
        let defaults = EventBatcher()
        XCTAssertEqual(defaults.maxCount, 256)
        XCTAssertEqual(defaults.maxBytes, 256 * 1024)
        XCTAssertEqual(defaults.maxDelay, .milliseconds(5))
        var zero = EventBatcher(maxCount: 0, maxBytes: 0)
        XCTAssertEqual(zero.add(event("a", 1), at: start), .flushNow)
    }
}
