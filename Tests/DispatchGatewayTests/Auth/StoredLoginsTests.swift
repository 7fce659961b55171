import DispatchPosix
import DispatchStore
import Foundation
import XCTest
@testable import DispatchGateway

/// `StoredLogins` over a real SQLite file, with the test as the wall clock. Each "gateway" is a new
/// `StoredLogins` on a new connection to the same file; the loop never runs (batches are flushed by hand).
final class StoredLoginsTests: XCTestCase {
    let key = "the-key-of-the-first-gateway"
    var directory = ""
    var now: Int64 = 1_790_000_000_000
    var loop: EventLoop!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("logins-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        loop = try EventLoop()
    }

    override func tearDown() {
        loop = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    var path: String { directory + "/dispatch.db" }

    func gateway(key: String? = nil, settings: AuthSessions.Settings = .init()) throws -> StoredLogins {
        StoredLogins(store: try EventStore(path: path), loop: loop, key: key ?? self.key, settings: settings) { [unowned self] in now }
    }

    func storedRows() throws -> [AuthSessionRow] { try EventStore(path: path).authSessions() }

    func testALoginIsValidForTheNextGatewayWithTheSameKey() throws {
        let first = try gateway()
        let (token, id) = first.login()
        XCTAssertEqual(try storedRows().map(\.id), [id], "written at login, before any batch")
        now += 5_000
        XCTAssertEqual(try gateway().validate(token: token), id)
    }

    func testALogoutIsGoneForTheNextGateway() throws {
        let first = try gateway()
        let (token, id) = first.login()
        let other = first.login()
        XCTAssertEqual(first.logout(token: token), id)
        XCTAssertEqual(try storedRows().map(\.id), [other.id], "deleted at logout, before any batch")
        let second = try gateway()
        XCTAssertNil(second.validate(token: token))
        XCTAssertEqual(second.validate(token: other.token), other.id)
    }

    func testAnotherKeyRevokesEveryStoredLogin() throws {
        let first = try gateway()
        let logins = [first.login(), first.login()]
        let rotated = try gateway(key: "a-brand-new-key-after-a-leak")
        for login in logins { XCTAssertNil(rotated.validate(token: login.token)) }
        XCTAssertEqual(try storedRows(), [])
        // Logins made under the new key last as usual.
        let fresh = rotated.login()
        XCTAssertEqual(try gateway(key: "a-brand-new-key-after-a-leak").validate(token: fresh.token), fresh.id)
        // Going back to the old key revokes those and does not bring the old ones back.
        let back = try gateway()
        for login in logins + [fresh] { XCTAssertNil(back.validate(token: login.token)) }
    }

    func testTheDatabaseHoldsNeitherTheTokenNorTheKey() throws {
        let first = try gateway()
        let (token, _) = first.login()
        now += 120_000
        _ = first.validate(token: token)
        first.flush(everything: true)
        for file in [path, path + "-wal"] {
            let bytes = try XCTUnwrap(FileManager.default.contents(atPath: file))
            for secret in [token, key] {
                XCTAssertNil(bytes.range(of: Data(secret.utf8)), "\(file) contains a secret")
            }
            let tokenBytes = Data(Hex.decode(token.utf8) ?? [])
            XCTAssertNil(bytes.range(of: tokenBytes), "\(file) contains the raw token")
        }
    }

    func testLastUsesAreBatchedAndExpiryDeletesTheRow() throws {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(600)
        let first = try gateway(settings: settings)
        let start = now
        let (token, id) = first.login()
        now += 30_000
        XCTAssertEqual(first.validate(token: token), id)
        first.flush()
        XCTAssertEqual(try storedRows().first?.lastSeen, start, "a use 30 s after the last written one is not written")
        now += 40_000
        XCTAssertEqual(first.validate(token: token), id)
        first.flush()
        XCTAssertEqual(try storedRows().first?.lastSeen, now)
        let seen = now

        // The next gateway counts idle time from the stored last use.
        now = seen + 599_000
        let second = try gateway(settings: settings)
        XCTAssertEqual(second.validate(token: token), id)
        now = seen + 599_000 + 600_000
        second.flush()
        XCTAssertNil(second.validate(token: token))
        XCTAssertEqual(try storedRows(), [], "an expired login's row is deleted with the next batch")
    }

    func testExpiredRowsAreDeletedAtStart() throws {
        var settings = AuthSessions.Settings()
        settings.idleTimeout = .seconds(60)
        let first = try gateway(settings: settings)
        let (token, _) = first.login()
        now += 61_000
        let second = try gateway(settings: settings)
        XCTAssertEqual(try storedRows(), [])
        XCTAssertNil(second.validate(token: token))
    }

    func testAReadOnlyStoreLeavesLoginsWorkingFromMemory() throws {
        let store = try EventStore(path: path)
        let existing = StoredLogins(store: store, loop: loop, key: key) { [unowned self] in now }.login()
        try store.database.execute("PRAGMA query_only = ON")
        let logins = StoredLogins(store: store, loop: loop, key: key) { [unowned self] in now }
        XCTAssertEqual(logins.validate(token: existing.token), existing.id, "stored logins still load")
        let (token, id) = logins.login()
        XCTAssertEqual(logins.validate(token: token), id)
        XCTAssertEqual(logins.logout(token: existing.token), existing.id)
        XCTAssertNil(logins.validate(token: existing.token))
        now += 120_000
        logins.flush()

        // Writable again: the logout that could not be written is, with the next batch.
        try store.database.execute("PRAGMA query_only = OFF")
        XCTAssertEqual(try storedRows().map(\.id), [existing.id])
        logins.flush()
        XCTAssertEqual(try storedRows(), [])
    }

    func testARotationTheStoreCannotRecordRestoresNothing() throws {
        let store = try EventStore(path: path)
        let old = StoredLogins(store: store, loop: loop, key: key) { [unowned self] in now }.login()
        try store.database.execute("PRAGMA query_only = ON")
        let rotated = StoredLogins(store: store, loop: loop, key: "another-key-entirely") { [unowned self] in now }
        XCTAssertNil(rotated.validate(token: old.token))
        let (token, id) = rotated.login()
        XCTAssertEqual(rotated.validate(token: token), id)
    }
}
