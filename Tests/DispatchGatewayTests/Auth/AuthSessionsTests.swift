import DispatchHTTP
import DispatchPosix
import DispatchStore
import XCTest
@testable import DispatchGateway

final class AuthSessionsTests: XCTestCase {
    /// Wall-clock milliseconds, as the gateway passes them; the tests are the clock.
    let t0: Int64 = 1_790_000_000_000

    func s(_ seconds: Int64) -> Int64 { t0 + seconds * 1000 }

    func testCreateThenValidate() {
        var sessions = AuthSessions()
        let (token, row) = sessions.create(now: t0)
        XCTAssertEqual(token.utf8.count, 64)
        XCTAssertTrue(token.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        XCTAssertFalse(row.id.isEmpty)
        XCTAssertFalse(token.contains(row.id))
        XCTAssertEqual(row.createdAt, t0)
        XCTAssertEqual(row.lastSeen, t0)
        XCTAssertEqual(sessions.validate(token: token, now: s(1)), row.id)
        XCTAssertEqual(sessions.count, 1)

        let second = sessions.create(now: t0)
        XCTAssertNotEqual(second.token, token)
        XCTAssertNotEqual(second.row.id, row.id)
        XCTAssertEqual(sessions.validate(token: second.token, now: t0), second.row.id)
        XCTAssertEqual(sessions.count, 2)
    }

    func testOnlyTheDigestIsKept() {
        var sessions = AuthSessions()
        let (token, row) = sessions.create(now: t0)
        let tokenBytes = Hex.decode(token.utf8) ?? []
        XCTAssertEqual(row.tokenHash, SHA256.hash(tokenBytes))
        XCTAssertEqual(Array(sessions.entries.keys), [row.tokenHash])
        XCTAssertNotEqual(row.tokenHash, tokenBytes)
        XCTAssertFalse(row.id.contains(token))
    }

    func testIdleExpiry() {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(60)
        var sessions = AuthSessions(settings: settings)
        let (token, row) = sessions.create(now: t0)
        XCTAssertEqual(sessions.validate(token: token, now: s(59)), row.id)
        // Idle time counts from the last validation (t0 + 59 s), not from creation.
        XCTAssertEqual(sessions.validate(token: token, now: s(118)), row.id)
        XCTAssertNil(sessions.validate(token: token, now: s(178)))
        XCTAssertEqual(sessions.count, 0)
        // The store is told to forget it.
        XCTAssertEqual(sessions.takeStoreWork(now: s(178)).deletes, [row.tokenHash])
    }

    func testAbsoluteExpiryDespiteActivity() {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(60)
        settings.absoluteTimeout = .seconds(200)
        var sessions = AuthSessions(settings: settings)
        let (token, row) = sessions.create(now: t0)
        for second in stride(from: Int64(30), to: 200, by: 30) {
            XCTAssertEqual(sessions.validate(token: token, now: s(second)), row.id)
        }
        XCTAssertNil(sessions.validate(token: token, now: s(200)))
    }

    func testAWallClockSteppedBackNeitherExpiresNorRewindsTheLastUse() {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(60)
        var sessions = AuthSessions(settings: settings)
        let (token, row) = sessions.create(now: s(100))
        XCTAssertEqual(sessions.validate(token: token, now: s(150)), row.id)
        XCTAssertEqual(sessions.validate(token: token, now: s(10)), row.id)
        XCTAssertEqual(sessions.entries[row.tokenHash]?.lastSeen, s(150))
    }

    func testRevokeReturnsTheDigestToDelete() {
        var sessions = AuthSessions()
        let a = sessions.create(now: t0)
        let b = sessions.create(now: t0)
        let revoked = sessions.revoke(token: a.token)
        XCTAssertEqual(revoked?.id, a.row.id)
        XCTAssertEqual(revoked?.tokenHash, a.row.tokenHash)
        XCTAssertNil(sessions.revoke(token: a.token))
        XCTAssertNil(sessions.validate(token: a.token, now: t0))
        XCTAssertEqual(sessions.validate(token: b.token, now: t0), b.row.id)
        XCTAssertNil(sessions.revoke(token: "not a token"))
    }

    func testPruneDropsOnlyExpired() {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(60)
        var sessions = AuthSessions(settings: settings)
        let old = sessions.create(now: t0)
        let fresh = sessions.create(now: s(30))
        let work = sessions.takeStoreWork(now: s(60))
        XCTAssertEqual(work.deletes, [old.row.tokenHash])
        XCTAssertEqual(sessions.count, 1)
        XCTAssertNil(sessions.validate(token: old.token, now: s(60)))
        XCTAssertEqual(sessions.validate(token: fresh.token, now: s(60)), fresh.row.id)
        // Handed over once.
        XCTAssertEqual(sessions.takeStoreWork(now: s(60)).deletes, [])
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
        let b = sessions.create(now: s(1))
        XCTAssertNotNil(sessions.validate(token: a.token, now: s(2)))
        let c = sessions.create(now: s(3))
        XCTAssertEqual(sessions.count, 2)
        XCTAssertNil(sessions.validate(token: b.token, now: s(3)))
        XCTAssertNotNil(sessions.validate(token: a.token, now: s(3)))
        XCTAssertNotNil(sessions.validate(token: c.token, now: s(3)))
        XCTAssertEqual(sessions.takeStoreWork(now: s(3)).deletes, [b.row.tokenHash])
    }

    // MARK: - Writing last uses

    func testALastUseIsWrittenAtMostOncePerTouchInterval() {
        var sessions = AuthSessions()  // touchInterval 60 s
        let (token, row) = sessions.create(now: t0)
        XCTAssertEqual(sessions.takeStoreWork(now: t0), .init())
        for second in [Int64(1), 10, 59] { XCTAssertNotNil(sessions.validate(token: token, now: s(second))) }
        // The store has t0; 59 s later is not yet worth a write.
        XCTAssertEqual(sessions.takeStoreWork(now: s(59)), .init())
        XCTAssertNotNil(sessions.validate(token: token, now: s(60)))
        XCTAssertEqual(sessions.takeStoreWork(now: s(60)).touches, [AuthSessionTouch(tokenHash: row.tokenHash, lastSeen: s(60))])
        // Many requests in the next minute: no write until a minute after the written one.
        for second in Int64(61)...119 { XCTAssertNotNil(sessions.validate(token: token, now: s(second))) }
        XCTAssertEqual(sessions.takeStoreWork(now: s(119)), .init())
        XCTAssertNotNil(sessions.validate(token: token, now: s(125)))
        XCTAssertEqual(sessions.takeStoreWork(now: s(125)).touches, [AuthSessionTouch(tokenHash: row.tokenHash, lastSeen: s(125))])
        // An idle login is never written.
        XCTAssertEqual(sessions.takeStoreWork(now: s(500)), .init())
    }

    func testEverythingWritesAnyNewerLastUse() {
        var sessions = AuthSessions()
        let idle = sessions.create(now: t0)
        let busy = sessions.create(now: t0)
        XCTAssertNotNil(sessions.validate(token: busy.token, now: s(5)))
        XCTAssertEqual(sessions.takeStoreWork(now: s(5), everything: true).touches,
                       [AuthSessionTouch(tokenHash: busy.row.tokenHash, lastSeen: s(5))])
        XCTAssertEqual(sessions.takeStoreWork(now: s(6), everything: true), .init())
        XCTAssertEqual(sessions.entries[idle.row.tokenHash]?.storedLastSeen, t0)
    }

    // MARK: - Restoring stored logins

    func testRestoreKeepsValidRowsAndDeletesExpiredOnes() {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(60)
        settings.absoluteTimeout = .seconds(600)
        var sessions = AuthSessions(settings: settings)
        let hash = { (byte: UInt8) in [UInt8](repeating: byte, count: 32) }
        sessions.restore([
            AuthSessionRow(tokenHash: hash(1), id: "valid", createdAt: s(500), lastSeen: s(950)),
            AuthSessionRow(tokenHash: hash(2), id: "idle", createdAt: s(500), lastSeen: s(940)),
            AuthSessionRow(tokenHash: hash(3), id: "old", createdAt: s(400), lastSeen: s(990)),
        ], now: s(1000))
        XCTAssertEqual(sessions.count, 1)
        XCTAssertEqual(sessions.entries[hash(1)], .init(id: "valid", created: s(500), lastSeen: s(950), storedLastSeen: s(950)))
        XCTAssertEqual(Set(sessions.takeStoreWork(now: s(1000)).deletes), [hash(2), hash(3)])
    }

    func testARestoredLoginValidatesByItsToken() {
        var original = AuthSessions()
        let (token, row) = original.create(now: t0)
        var restored = AuthSessions()
        restored.restore([row], now: s(10))
        XCTAssertEqual(restored.validate(token: token, now: s(10)), row.id)
    }

    func testRestoreBeyondMaxSessionsKeepsTheMostRecentlyUsed() {
        var settings = AuthSessions.Settings()
        settings.maxSessions = 2
        var sessions = AuthSessions(settings: settings)
        let rows = (1...4).map { AuthSessionRow(tokenHash: [UInt8](repeating: UInt8($0), count: 32), id: "\($0)", createdAt: t0, lastSeen: s(Int64($0))) }
        sessions.restore(rows, now: s(5))
        XCTAssertEqual(Set(sessions.entries.values.map(\.id)), ["3", "4"])
        XCTAssertEqual(Set(sessions.takeStoreWork(now: s(5)).deletes), [rows[0].tokenHash, rows[1].tokenHash])
    }
}
