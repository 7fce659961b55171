import XCTest
@testable import DispatchGateway

final class CheckpointPolicyTests: XCTestCase {
    private let start = ContinuousClock.now
    private func at(_ ms: Int) -> ContinuousClock.Instant { start + .milliseconds(ms) }

    func testNothingBelowTheThreshold() {
        var policy = CheckpointPolicy()
        XCTAssertEqual(policy.committed(frames: 999, at: at(0)), .none)
        XCTAssertEqual(policy.check(at: at(100)), .none)
    }

    func testOverTheThresholdItWaitsForAQuietMoment() {
        var policy = CheckpointPolicy()
        XCTAssertEqual(policy.committed(frames: 1000, at: at(0)), .checkAt(at(20)))
        // Later commits do not schedule a second check; they push the quiet moment back.
        XCTAssertEqual(policy.committed(frames: 1002, at: at(15)), .none)
        XCTAssertEqual(policy.check(at: at(20)), .checkAt(at(35)))
        XCTAssertEqual(policy.check(at: at(35)), .checkpointNow)
        XCTAssertEqual(policy.check(at: at(40)), .none)
    }

    func testAWALThatStaysLongAfterACheckpointIsLookedAtAgain() {
        var policy = CheckpointPolicy()
        _ = policy.committed(frames: 1000, at: at(0))
        XCTAssertEqual(policy.check(at: at(20)), .checkpointNow)
        // The checkpoint could not copy everything (a reader held it back): the WAL did not restart.
        XCTAssertEqual(policy.committed(frames: 1004, at: at(30)), .checkAt(at(50)))
    }

    func testOutputThatNeverPausesIsCheckpointedAtTheLimit() {
        var policy = CheckpointPolicy()
        _ = policy.committed(frames: 1000, at: at(0))
        XCTAssertEqual(policy.committed(frames: 3999, at: at(1)), .none)
        XCTAssertEqual(policy.committed(frames: 4000, at: at(2)), .checkpointNow)
        XCTAssertEqual(policy.committed(frames: 4002, at: at(3)), .checkpointNow)
    }
}
