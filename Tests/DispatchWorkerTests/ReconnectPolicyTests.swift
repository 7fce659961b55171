@testable import DispatchWorker
import XCTest

final class ReconnectPolicyTests: XCTestCase {
    private let start = ContinuousClock.now

    func testBackoffDoublesFromFiftyMillisecondsToTwoSeconds() {
        var policy = ReconnectPolicy(settings: .init(orphanTimeout: .seconds(3600)), orphanedAt: start)
        let delays = (0..<9).map { _ in policy.next(now: start + .seconds(1)) }
        XCTAssertEqual(delays, [50, 100, 200, 400, 800, 1600, 2000, 2000, 2000].map { .retry(after: .milliseconds($0)) })
    }

    func testTheLastWaitEndsAtTheDeadlineThenItGivesUp() {
        var policy = ReconnectPolicy(settings: .init(orphanTimeout: .seconds(10)), orphanedAt: start)
        for _ in 0..<8 { _ = policy.next(now: start) }
        XCTAssertEqual(policy.next(now: start + .milliseconds(9500)), .retry(after: .milliseconds(500)))
        XCTAssertEqual(policy.next(now: start + .seconds(10)), .giveUp)
        XCTAssertEqual(policy.next(now: start + .seconds(11)), .giveUp)
    }

    func testFailedAttemptsDoNotMoveTheDeadline() {
        var policy = ReconnectPolicy(settings: .init(initialDelay: .seconds(1), maxDelay: .seconds(1), orphanTimeout: .seconds(3)),
                                     orphanedAt: start)
        XCTAssertEqual(policy.next(now: start), .retry(after: .seconds(1)))
        XCTAssertEqual(policy.next(now: start + .seconds(1)), .retry(after: .seconds(1)))
        XCTAssertEqual(policy.next(now: start + .milliseconds(2500)), .retry(after: .milliseconds(500)))
        XCTAssertEqual(policy.next(now: start + .seconds(3)), .giveUp)
    }
}
