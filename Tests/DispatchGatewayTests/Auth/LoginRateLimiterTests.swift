import XCTest
@testable import DispatchGateway

final class LoginRateLimiterTests: XCTestCase {
    let t0 = ContinuousClock.now

    private func fail(_ limiter: inout LoginRateLimiter, _ client: String, times: Int, at offset: Duration = .zero) {
        for _ in 0..<times {
            XCTAssertEqual(limiter.check(client: client, now: t0 + offset), .allowed)
            limiter.recordFailure(client: client, now: t0 + offset)
        }
    }

    func testFiveFreeFailuresThenLimitedWithRetryAfter() {
        var limiter = LoginRateLimiter()
        for i in 0..<5 {
            XCTAssertEqual(limiter.check(client: "10.0.0.1", now: t0 + .seconds(i)), .allowed)
            limiter.recordFailure(client: "10.0.0.1", now: t0 + .seconds(i))
        }
        // The fifth failure was at t0 + 4 s: the next attempt is due 15 s after it.
        XCTAssertEqual(limiter.check(client: "10.0.0.1", now: t0 + .seconds(5)), .limited(retryAfter: .seconds(14)))
        XCTAssertEqual(limiter.check(client: "10.0.0.1", now: t0 + .seconds(18) + .milliseconds(500)),
                       .limited(retryAfter: .milliseconds(500)))
    }

    func testCheckAloneCountsNothing() {
        var limiter = LoginRateLimiter()
        for _ in 0..<100 { XCTAssertEqual(limiter.check(client: "a", now: t0), .allowed) }
        fail(&limiter, "a", times: 5)
        XCTAssertNotEqual(limiter.check(client: "a", now: t0), .allowed)
    }

    func testOneAttemptPerIntervalAfterTheFreeOnes() {
        var limiter = LoginRateLimiter()
        fail(&limiter, "a", times: 5)
        XCTAssertEqual(limiter.check(client: "a", now: t0 + .seconds(15)), .allowed)
        limiter.recordFailure(client: "a", now: t0 + .seconds(15))
        XCTAssertEqual(limiter.check(client: "a", now: t0 + .seconds(16)), .limited(retryAfter: .seconds(14)))
        XCTAssertEqual(limiter.check(client: "a", now: t0 + .seconds(30)), .allowed)
        limiter.recordFailure(client: "a", now: t0 + .seconds(30))
        XCTAssertEqual(limiter.check(client: "a", now: t0 + .seconds(30)), .limited(retryAfter: .seconds(15)))
    }

    func testOtherClientUnaffected() {
        var limiter = LoginRateLimiter()
        fail(&limiter, "a", times: 5)
        XCTAssertNotEqual(limiter.check(client: "a", now: t0), .allowed)
        XCTAssertEqual(limiter.check(client: "b", now: t0), .allowed)
    }

    func testGlobalCapHitsEveryClientAndRecoversAfterAMinute() {
        var limiter = LoginRateLimiter()
        // 30 failures from 10 clients, 3 each: no one is over the per-client limit.
        for i in 0..<30 {
            let at = t0 + .seconds(i)
            XCTAssertEqual(limiter.check(client: "c\(i % 10)", now: at), .allowed)
            limiter.recordFailure(client: "c\(i % 10)", now: at)
        }
        // The oldest of the 30 (t0) leaves the window at t0 + 60 s.
        XCTAssertEqual(limiter.check(client: "fresh", now: t0 + .seconds(30)), .limited(retryAfter: .seconds(30)))
        XCTAssertEqual(limiter.check(client: "c1", now: t0 + .seconds(59)), .limited(retryAfter: .seconds(1)))
        XCTAssertEqual(limiter.check(client: "fresh", now: t0 + .seconds(60)), .allowed)
        limiter.recordFailure(client: "fresh", now: t0 + .seconds(60))
        // Full again; the next slot frees when the failure at t0 + 1 s expires.
        XCTAssertEqual(limiter.check(client: "other", now: t0 + .seconds(60)), .limited(retryAfter: .seconds(1)))
        XCTAssertEqual(limiter.check(client: "other", now: t0 + .seconds(120)), .allowed)
    }

    func testLongerOfGlobalAndPerClientWaitWins() {
        var settings = LoginRateLimiter.Settings()
        settings.globalPerMinute = 5
        var limiter = LoginRateLimiter(settings: settings)
        fail(&limiter, "a", times: 5)
        // Global: 60 s; per client: 15 s.
        XCTAssertEqual(limiter.check(client: "a", now: t0), .limited(retryAfter: .seconds(60)))
    }

    func testSuccessResetsTheClient() {
        var limiter = LoginRateLimiter()
        fail(&limiter, "a", times: 5)
        limiter.recordSuccess(client: "a")
        fail(&limiter, "a", times: 4, at: .seconds(1))
        XCTAssertEqual(limiter.check(client: "a", now: t0 + .seconds(1)), .allowed)
    }

    func testQuietClientIsForgotten() {
        var limiter = LoginRateLimiter()
        fail(&limiter, "a", times: 5)
        let later = limiter.settings.forgetAfter
        fail(&limiter, "a", times: 5, at: later)
        XCTAssertEqual(limiter.check(client: "a", now: t0 + later), .limited(retryAfter: .seconds(15)))
    }

    func testTrackedClientCapEvictsOldest() {
        var settings = LoginRateLimiter.Settings()
        settings.maxTrackedClients = 3
        settings.globalPerMinute = 1_000
        var limiter = LoginRateLimiter(settings: settings)
        fail(&limiter, "old", times: 5, at: .seconds(0))
        fail(&limiter, "mid", times: 5, at: .seconds(1))
        fail(&limiter, "new", times: 5, at: .seconds(2))
        XCTAssertEqual(limiter.clients.count, 3)
        limiter.recordFailure(client: "newest", now: t0 + .seconds(3))
        XCTAssertEqual(limiter.clients.count, 3)
        XCTAssertEqual(Set(limiter.clients.keys), ["mid", "new", "newest"])
        XCTAssertEqual(limiter.check(client: "old", now: t0 + .seconds(3)), .allowed)
        XCTAssertNotEqual(limiter.check(client: "mid", now: t0 + .seconds(3)), .allowed)
    }

    func testGlobalHistoryStaysBounded() {
        var settings = LoginRateLimiter.Settings()
        settings.freeAttempts = .max
        var limiter = LoginRateLimiter(settings: settings)
        for i in 0..<1_000 { limiter.recordFailure(client: "a", now: t0 + .milliseconds(i)) }
        XCTAssertEqual(limiter.recentFailures.count, settings.globalPerMinute)
    }
}
