import DispatchStore
import XCTest

/// Measures, never asserts on time: the number is for the report, the assertions are on data.
final class ThroughputTests: StoreTestCase {
    func testOneHundredThousandEventsInBatchesOf500() throws {
        let store = try EventStore(path: path())
        let runs = (0..<10).map { "run-\($0)" }
        let line = "\"" + String(repeating: "x", count: 60) + "\\r\\n\""
        let total = 100_000
        let clock = ContinuousClock()
        var next: UInt64 = 1
        let elapsed = try clock.measure {
            while next <= UInt64(total / runs.count) {
                var batch: [StoredEvent] = []
                batch.reserveCapacity(500)
                for seq in next..<next + 50 {
                    for run in runs { batch.append(event(run, seq, line, ts: Int64(seq))) }
                }
                try store.append(batch)
                next += 50
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let replay = try clock.measure {
            XCTAssertEqual(try store.events(runId: "run-3", after: 0, limit: 20_000).count, total / runs.count)
        }
        print("DispatchStore throughput: \(total) events in \(elapsed) = \(Int(Double(total) / seconds)) rows/s; replay of 10k: \(replay); file \(try store.sizeInBytes()) bytes")
        XCTAssertEqual(try store.lastSeq(runId: "run-9"), UInt64(total / runs.count))
        XCTAssertTrue(try store.integrityCheck())
    }
}
