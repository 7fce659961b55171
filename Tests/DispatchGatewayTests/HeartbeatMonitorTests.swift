import XCTest
@testable import DispatchGateway

final class HeartbeatMonitorTests: XCTestCase {
    let t0 = ContinuousClock.now

    func testPingsEachInterval() {
        var m = HeartbeatMonitor(now: t0)
        XCTAssertEqual(m.nextDeadline, t0 + .seconds(5))
        XCTAssertEqual(m.tick(now: t0 + .seconds(5)), .sendPing(nonce: 1))
        XCTAssertEqual(m.nextDeadline, t0 + .seconds(10))
        XCTAssertEqual(m.tick(now: t0 + .seconds(10)), .sendPing(nonce: 2))
    }

    func testEarlyTickDoesNothing() {
        var m = HeartbeatMonitor(now: t0)
        XCTAssertEqual(m.tick(now: t0 + .seconds(5) - .milliseconds(1)), .none)
        XCTAssertEqual(m.tick(now: t0 + .seconds(5)), .sendPing(nonce: 1))
        XCTAssertEqual(m.tick(now: t0 + .seconds(7)), .none)
    }

    func testAnsweringPeerStaysAlive() {
        var m = HeartbeatMonitor(now: t0)
        for i in 1...1000 {
            let now = t0 + .seconds(5 * i)
            XCTAssertEqual(m.tick(now: now), .sendPing(nonce: UInt64(i)))
            m.pong(nonce: UInt64(i), now: now + .milliseconds(20))
        }
    }

    func testSilentPeerDeclaredDeadAfterExactlyMissesAllowed() {
        var m = HeartbeatMonitor(interval: .seconds(5), missesAllowed: 3, now: t0)
        for i in 1...3 {
            XCTAssertEqual(m.tick(now: t0 + .seconds(5 * i)), .sendPing(nonce: UInt64(i)))
        }
        XCTAssertEqual(m.tick(now: t0 + .seconds(20) - .milliseconds(1)), .none)
        XCTAssertEqual(m.tick(now: t0 + .seconds(20)), .declareDead)
        XCTAssertEqual(m.tick(now: t0 + .seconds(25)), .none)
        XCTAssertEqual(m.tick(now: t0 + .seconds(100)), .none)
    }

    func testWrongOrStaleNonceDoesNotCount() {
        var m = HeartbeatMonitor(missesAllowed: 2, now: t0)
        _ = m.tick(now: t0 + .seconds(5))
        _ = m.tick(now: t0 + .seconds(10))
        m.pong(nonce: 1, now: t0 + .seconds(11))   // stale
        m.pong(nonce: 99, now: t0 + .seconds(11))  // forged
        XCTAssertEqual(m.tick(now: t0 + .seconds(15)), .declareDead)
    }

    func testHeardFromKeepsAlive() {
        var m = HeartbeatMonitor(missesAllowed: 2, now: t0)
        for i in 1...100 {
            let now = t0 + .seconds(5 * i)
            XCTAssertEqual(m.tick(now: now), .sendPing(nonce: UInt64(i)))
            m.heardFrom(now: now + .seconds(1))
        }
    }
}
