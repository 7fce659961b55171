import XCTest
@testable import DispatchGateway

final class RestartPolicyTests: XCTestCase {
    let t0 = ContinuousClock.now

    /// A worker that starts at t0 + `offset` and dies 1 s later.
    private func crash(_ p: inout RestartPolicy, at offset: Duration) -> RestartPolicy.Decision {
        p.started(at: t0 + offset)
        return p.died(at: t0 + offset + .seconds(1))
    }

    func testBackoffDoublesAndCaps() {
        var p = RestartPolicy(settings: .init(maxBackoff: .milliseconds(1000), maxRestarts: 100))
        let delays = (0..<7).map { i in crash(&p, at: .seconds(2 * i)) }
        XCTAssertEqual(delays, [
            .restart(after: .milliseconds(100), attempt: 1),
            .restart(after: .milliseconds(200), attempt: 2),
            .restart(after: .milliseconds(400), attempt: 3),
            .restart(after: .milliseconds(800), attempt: 4),
            .restart(after: .milliseconds(1000), attempt: 5),
            .restart(after: .milliseconds(1000), attempt: 6),
            .restart(after: .milliseconds(1000), attempt: 7),
        ])
    }

    func testStableRunResetsBackoff() {
        var p = RestartPolicy()
        _ = crash(&p, at: .zero)
        XCTAssertEqual(crash(&p, at: .seconds(2)), .restart(after: .milliseconds(200), attempt: 2))
        p.started(at: t0 + .seconds(10))
        XCTAssertEqual(p.died(at: t0 + .seconds(40)), .restart(after: .milliseconds(100), attempt: 1))
    }

    func testJustUnderStableDoesNotReset() {
        var p = RestartPolicy()
        _ = crash(&p, at: .zero)
        p.started(at: t0 + .seconds(10))
        XCTAssertEqual(p.died(at: t0 + .seconds(40) - .milliseconds(1)),
                       .restart(after: .milliseconds(200), attempt: 2))
    }

    func testExactlyMaxRestartsThenGiveUp() {
        var p = RestartPolicy()
        for i in 1...5 {
            guard case .restart(_, let attempt) = crash(&p, at: .seconds(2 * i)) else {
                return XCTFail("restart \(i) refused")
            }
            XCTAssertEqual(attempt, i)
        }
        XCTAssertEqual(crash(&p, at: .seconds(20)), .giveUp(restartsInWindow: 5))
        XCTAssertEqual(p.totalRestarts, 5)
    }

    func testRestartsOutsideWindowNoLongerCount() {
        var p = RestartPolicy()
        for i in 0..<5 { _ = crash(&p, at: .seconds(i)) }  // decided at t0+1 s ... t0+5 s
        XCTAssertEqual(crash(&p, at: .seconds(5)), .giveUp(restartsInWindow: 5))
        // 61 s after the last one, all five have aged out.
        p.started(at: t0 + .seconds(66))
        guard case .restart = p.died(at: t0 + .seconds(66)) else {
            return XCTFail("old restarts still counted")
        }
        XCTAssertEqual(p.totalRestarts, 6)
    }

    func testResetForgetsHistoryButNotTotal() {
        var p = RestartPolicy()
        for i in 0..<5 { _ = crash(&p, at: .seconds(i)) }
        XCTAssertEqual(crash(&p, at: .seconds(6)), .giveUp(restartsInWindow: 5))
        p.reset()
        XCTAssertEqual(crash(&p, at: .seconds(8)), .restart(after: .milliseconds(100), attempt: 1))
        XCTAssertEqual(p.totalRestarts, 6)
    }
}
