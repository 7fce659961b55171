import XCTest
@testable import DispatchGateway

final class AuthSessionsTests: XCTestCase {
    let t0 = ContinuousClock.now

    func testCreateThenValidate() {
        var sessions = AuthSessions()
        let (token, id) = sessions.create(now: t0)
        XCTAssertEqual(token.utf8.count, 64)
        XCTAssertTrue(token.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        XCTAssertFalse(id.isEmpty)
        XCTAssertFalse(token.contains(id))
        XCTAssertEqual(sessions.validate(token: token, now: t0 + .seconds(1)), id)
        XCTAssertEqual(sessions.count, 1)

        let second = sessions.create(now: t0)
        XCTAssertNotEqual(second.token, token)
        XCTAssertNotEqual(second.id, id)
        XCTAssertEqual(sessions.validate(token: second.token, now: t0), second.id)
        XCTAssertEqual(sessions.count, 2)
    }

    func testOnlyTheDigestIsStored() {
        var sessions = AuthSessions()
        let (token, _) = sessions.create(now: t0)
        XCTAssertEqual(sessions.entries.count, 1)
        let stored = sessions.entries.keys.first!
        XCTAssertNotEqual(stored, token)
        XCTAssertFalse(stored.contains(token))
        XCTAssertEqual(stored.utf8.count, 64)
        for entry in sessions.entries.values { XCTAssertFalse(entry.id.contains(token)) }
    }

    func testIdleExpiry() {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(60)
        var sessions = AuthSessions(settings: settings)
        let (token, id) = sessions.create(now: t0)
        XCTAssertEqual(sessions.validate(token: token, now: t0 + .seconds(59)), id)
        // Idle time counts from the last validation (t0 + 59 s), not from creation.
        XCTAssertEqual(sessions.validate(token: token, now: t0 + .seconds(118)), id)
        XCTAssertNil(sessions.validate(token: token, now: t0 + .seconds(178)))
        XCTAssertEqual(sessions.count, 0)
    }

    func testAbsoluteExpiryDespiteActivity() {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(60)
        settings.absoluteTimeout = .seconds(200)
        var sessions = AuthSessions(settings: settings)
        let (token, id) = sessions.create(now: t0)
        for s in stride(from: 30, to: 200, by: 30) {
            XCTAssertEqual(sessions.validate(token: token, now: t0 + .seconds(s)), id)
        }
        XCTAssertNil(sessions.validate(token: token, now: t0 + .seconds(200)))
    }

    func testRevoke() {
        var sessions = AuthSessions()
        let a = sessions.create(now: t0)
        let b = sessions.create(now: t0)
        XCTAssertEqual(sessions.revoke(token: a.token), a.id)
        XCTAssertNil(sessions.revoke(token: a.token))
        XCTAssertNil(sessions.validate(token: a.token, now: t0))
        XCTAssertEqual(sessions.validate(token: b.token, now: t0), b.id)
        XCTAssertNil(sessions.revoke(token: "not a token"))
    }

    func testRevokeAll() {
        var sessions = AuthSessions()
        let made = (0..<3).map { _ in sessions.create(now: t0) }
        XCTAssertEqual(Set(sessions.revokeAll()), Set(made.map(\.id)))
        XCTAssertEqual(sessions.count, 0)
        for session in made { XCTAssertNil(sessions.validate(token: session.token, now: t0)) }
        XCTAssertEqual(sessions.revokeAll(), [])
    }

    func testPruneDropsOnlyExpired() {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(60)
        var sessions = AuthSessions(settings: settings)
        let old = sessions.create(now: t0)
        let fresh = sessions.create(now: t0 + .seconds(30))
        sessions.prune(now: t0 + .seconds(60))
        XCTAssertEqual(sessions.count, 1)
        XCTAssertNil(sessions.validate(token: old.token, now: t0 + .seconds(60)))
        XCTAssertEqual(sessions.validate(token: fresh.token, now: t0 + .seconds(60)), fresh.id)
    }

    func testWrongOrMalformedTokens() {
        var sessions = AuthSessions()
        let (token, _) = sessions.create(now: t0)
        var flipped = Array(token.utf8)
        flipped[10] = flipped[10] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        let candidates = [
            "", "abc", String(decoding: flipped, as: UTF8.self), token.uppercased(), token + "0",
            String(token.dropLast()), String(token.dropLast()) + "g", String(repeating: "0", count: 64),
            " " + token.dropLast(), String(repeating: "é", count: 32),
        ]
        for candidate in candidates where candidate != token {
            XCTAssertNil(sessions.validate(token: candidate, now: t0), candidate)
        }
        XCTAssertEqual(sessions.count, 1)
    }

    func testMaxSessionsEvictsLeastRecentlyUsed() {
        var settings = AuthSessions.Settings()
        settings.maxSessions = 2
        var sessions = AuthSessions(settings: settings)
        let a = sessions.create(now: t0)
        let b = sessions.create(now: t0 + .seconds(1))
        XCTAssertNotNil(sessions.validate(token: a.token, now: t0 + .seconds(2)))
        let c = sessions.create(now: t0 + .seconds(3))
        XCTAssertEqual(sessions.count, 2)
        XCTAssertNil(sessions.validate(token: b.token, now: t0 + .seconds(3)))
        XCTAssertNotNil(sessions.validate(token: a.token, now: t0 + .seconds(3)))
        XCTAssertNotNil(sessions.validate(token: c.token, now: t0 + .seconds(3)))
    }
}
