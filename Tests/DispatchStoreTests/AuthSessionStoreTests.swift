import DispatchStore
import XCTest

final class AuthSessionStoreTests: StoreTestCase {
    let a = [UInt8](repeating: 0xA1, count: 32)
    let b = [UInt8](repeating: 0xB2, count: 32)

    func testAddListTouchAndDelete() throws {
        let store = try EventStore(path: path())
        XCTAssertEqual(try store.authSessions(), [])
        try store.addAuthSession(AuthSessionRow(tokenHash: a, id: "one", createdAt: 10, lastSeen: 30))
        try store.addAuthSession(AuthSessionRow(tokenHash: b, id: "two", createdAt: 5, lastSeen: 20))
        XCTAssertEqual(try store.authSessions().map(\.id), ["two", "one"], "least recently used first")

        try store.updateAuthSessions(touches: [AuthSessionTouch(tokenHash: a, lastSeen: 50), AuthSessionTouch(tokenHash: b, lastSeen: 15),
                                               AuthSessionTouch(tokenHash: [1], lastSeen: 99)], deletes: [])
        XCTAssertEqual(try store.authSessions(), [
            AuthSessionRow(tokenHash: b, id: "two", createdAt: 5, lastSeen: 20),  // a touch never moves back
            AuthSessionRow(tokenHash: a, id: "one", createdAt: 10, lastSeen: 50),
        ])
        try store.updateAuthSessions(touches: [AuthSessionTouch(tokenHash: b, lastSeen: 60)], deletes: [a, [7]])
        XCTAssertEqual(try store.authSessions(), [AuthSessionRow(tokenHash: b, id: "two", createdAt: 5, lastSeen: 60)])
        try store.deleteAuthSession(tokenHash: b)
        try store.deleteAuthSession(tokenHash: b)
        XCTAssertEqual(try store.authSessions(), [])
    }

    func testLoginsSurviveReopening() throws {
        let row = AuthSessionRow(tokenHash: a, id: "kept", createdAt: 1_790_000_000_000, lastSeen: 1_790_000_060_000)
        do { try EventStore(path: path()).addAuthSession(row) }
        XCTAssertEqual(try EventStore(path: path()).authSessions(), [row])
    }

    func testRevokingSetsTheFingerprintAndDropsEveryLoginAtOnce() throws {
        let store = try EventStore(path: path())
        XCTAssertNil(try store.setting(EventStore.authKeySetting))
        XCTAssertEqual(try store.revokeAuthSessions(keyFingerprint: [1, 2, 3]), 0)
        XCTAssertEqual(try store.setting(EventStore.authKeySetting), [1, 2, 3])
        try store.addAuthSession(AuthSessionRow(tokenHash: a, id: "one", createdAt: 1, lastSeen: 1))
        try store.addAuthSession(AuthSessionRow(tokenHash: b, id: "two", createdAt: 1, lastSeen: 1))
        XCTAssertEqual(try store.revokeAuthSessions(keyFingerprint: [4]), 2)
        XCTAssertEqual(try store.authSessions(), [])
        XCTAssertEqual(try EventStore(path: path()).setting(EventStore.authKeySetting), [4])
    }

    func testAFailedRevocationChangesNothing() throws {
        let store = try EventStore(path: path())
        try store.revokeAuthSessions(keyFingerprint: [1])
        try store.addAuthSession(AuthSessionRow(tokenHash: a, id: "one", createdAt: 1, lastSeen: 1))
        try store.database.execute("PRAGMA query_only = ON")
        XCTAssertNotNil(storeError { () throws(StoreError) in try store.revokeAuthSessions(keyFingerprint: [2]) })
        try store.database.execute("PRAGMA query_only = OFF")
        XCTAssertEqual(try store.authSessions().map(\.id), ["one"])
        XCTAssertEqual(try store.setting(EventStore.authKeySetting), [1])
    }

    func testSettingsAreReplaced() throws {
        let store = try EventStore(path: path())
        XCTAssertNil(try store.setting("x"))
        try store.setSetting("x", [1])
        try store.setSetting("x", [])
        XCTAssertEqual(try store.setting("x"), [])
    }

    func testAVersion2DatabaseGainsSettingsAndKeepsItsLogins() throws {
        let row = AuthSessionRow(tokenHash: a, id: "old", createdAt: 1, lastSeen: 2)
        do {
            let database = try SQLiteDatabase(path: path(), migrations: Array(Schema.migrations.prefix(2)))
            try database.execute("INSERT INTO auth_sessions (token_hash, id, created_at, last_seen) VALUES (?, 'old', 1, 2)", [.blob(a)])
        }
        let store = try EventStore(path: path())
        XCTAssertEqual(try store.authSessions(), [row])
        XCTAssertNil(try store.setting(EventStore.authKeySetting))
    }
}
