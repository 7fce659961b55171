import Foundation
import XCTest
@testable import DispatchGateway

final class WorkerIdentityFilesTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = try TemporaryFolder.make()
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testWrittenPrivatelyReadBackReplacedAndRemoved() throws {
        let files = try WorkerIdentityFiles(runtimeDirectory: folder)
        let identity = WorkerIdentity(sessionId: "0f1e2d3c-aaaa-4bbb-8ccc-0123456789ab", pid: 4242, secret: Array(0..<32))
        try files.write(identity)
        XCTAssertEqual(files.read(identity.sessionId), identity)
        var info = stat()
        XCTAssertEqual(stat(files.folder + "/" + identity.sessionId + ".json", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(stat(files.folder, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700)

        var next = identity
        next.pid = 4343
        next.secret = Array(repeating: 7, count: 32)
        try files.write(next)
        XCTAssertEqual(files.read(identity.sessionId), next)
        XCTAssertEqual(files.sessionIds(), [identity.sessionId])
        files.remove(identity.sessionId)
        XCTAssertNil(files.read(identity.sessionId))
        XCTAssertEqual(files.sessionIds(), [])
    }

    func testDamagedOrForeignFilesAreNotIdentities() throws {
        let files = try WorkerIdentityFiles(runtimeDirectory: folder)
        let cases = [
            "a": "not json",
            "b": #"{"session":"someone-else","pid":10,"secret":"00ff"}"#,
            "c": #"{"session":"c","pid":1,"secret":"00ff"}"#,
            "d": #"{"session":"d","pid":10,"secret":"xyz"}"#,
            "e": #"{"session":"e","pid":10}"#,
            "f": #"{"session":"f","pid":99999999999,"secret":"00ff"}"#,
        ]
        for (id, text) in cases {
            try text.write(toFile: files.folder + "/\(id).json", atomically: false, encoding: .utf8)
            XCTAssertNil(files.read(id), text)
        }
    }

    func testSessionIdsThatCouldLeaveTheFolderAreRefused() throws {
        let files = try WorkerIdentityFiles(runtimeDirectory: folder)
        for id in ["../escape", "a/b", "", ".", "x.json", String(repeating: "a", count: 200)] {
            XCTAssertThrowsError(try files.write(WorkerIdentity(sessionId: id, pid: 10, secret: [1])), id)
            XCTAssertNil(files.read(id))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/escape.json"))
    }
}
