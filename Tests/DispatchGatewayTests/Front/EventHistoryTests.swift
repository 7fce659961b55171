import XCTest
@testable import DispatchGateway

final class EventHistoryTests: XCTestCase {
    private func entry(_ seq: UInt64, size: Int = 10) -> EventHistory.Entry { .init(seq: seq, message: "m\(seq)", size: size) }
    private func seqs(_ slice: ArraySlice<EventHistory.Entry>) -> [UInt64] { slice.map(\.seq) }

    func testEmpty() {
        let history = EventHistory(byteLimit: 100)
        XCTAssertNil(history.firstSeq)
        XCTAssertTrue(history.entries(after: 0).isEmpty)
        XCTAssertTrue(history.entries(after: .max).isEmpty)
    }

    func testEntriesAfterEverySeq() {
        var history = EventHistory(byteLimit: 1_000)
        let held: [UInt64] = [1, 2, 5, 6, 10]  // gaps on purpose
        for seq in held { history.append(entry(seq)) }
        XCTAssertEqual(history.firstSeq, 1)
        for after in UInt64(0)...12 {
            XCTAssertEqual(seqs(history.entries(after: after)), held.filter { $0 > after }, "after \(after)")
        }
        XCTAssertEqual(history.entries(after: 4).first?.message, "m5")
    }

    func testByteLimitDropsOldest() {
        var history = EventHistory(byteLimit: 30)
        for seq in UInt64(1)...3 { history.append(entry(seq)) }
        XCTAssertEqual(seqs(history.entries(after: 0)), [1, 2, 3], "exactly at the limit keeps all")
        history.append(entry(4))
        XCTAssertEqual(history.firstSeq, 2)
        XCTAssertEqual(seqs(history.entries(after: 0)), [2, 3, 4])
        history.append(entry(5, size: 25))
        XCTAssertEqual(seqs(history.entries(after: 0)), [5])
        XCTAssertEqual(seqs(history.entries(after: 3)), [5])
    }

    func testOversizedNewestIsAlwaysKept() {
        var history = EventHistory(byteLimit: 10)
        history.append(entry(1, size: 5))
        history.append(entry(2, size: 500))
        XCTAssertEqual(history.firstSeq, 2)
        XCTAssertEqual(seqs(history.entries(after: 0)), [2])
        history.append(entry(3, size: 501))
        XCTAssertEqual(seqs(history.entries(after: 0)), [3])
        history.append(entry(4, size: 4))
        XCTAssertEqual(seqs(history.entries(after: 0)), [4])
        history.append(entry(5, size: 6))
        XCTAssertEqual(seqs(history.entries(after: 0)), [4, 5])
    }

    /// Many appends with a small limit (so the internal compaction runs many times), checked against a
    /// model: the held entries are the longest suffix that fits the limit, and at least the newest.
    func testManyAppendsMatchModel() {
        let limit = 200
        var history = EventHistory(byteLimit: limit)
        var all: [EventHistory.Entry] = []
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var seq: UInt64 = 0
        for step in 0..<10_000 {
            seq += 1 + next() % 3
            let e = entry(seq, size: 1 + Int(next() % 40) + (next() % 100 == 0 ? 300 : 0))
            history.append(e)
            all.append(e)

            var start = all.count - 1, total = all[start].size
            while start > 0, total + all[start - 1].size <= limit {
                start -= 1
                total += all[start].size
            }
            let expected = all[start...].map(\.seq)
            XCTAssertEqual(history.firstSeq, expected.first)
            let probes: [UInt64] = [0, expected[0] - 1, expected[0], seq - 1, seq, seq + 1, expected[0] + next() % (seq - expected[0] + 1)]
            for after in probes {
                let got = seqs(history.entries(after: after))
                let want = expected.filter { $0 > after }
                if got != want { return XCTFail("step \(step) after \(after): \(got) != \(want)") }
            }
        }
    }
}
