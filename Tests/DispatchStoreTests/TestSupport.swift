import DispatchStore
import Foundation
import XCTest

/// Each test gets its own folder of real SQLite files, removed afterwards.
class StoreTestCase: XCTestCase {
    private(set) var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        // Restore permissions a test may have removed, or the folder could not be deleted.
        chmod(directory, 0o700)
        try? FileManager.default.removeItem(atPath: directory)
    }

    func path(_ name: String = "dispatch.db") -> String { directory + "/" + name }

    func fileBytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }

    func writeFile(_ path: String, _ bytes: [UInt8]) {
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    }
}

func event(_ runId: String, _ seq: UInt64, _ payload: String? = nil, ts: Int64 = 1_000, channel: String = "pty:stdout") -> StoredEvent {
    StoredEvent(runId: runId, seq: seq, channel: channel, payload: payload ?? "\"line \(seq)\"", ts: ts)
}

func session(_ id: String, createdAt: Int64 = 1, status: String = "running") -> SessionRow {
    SessionRow(id: id, kind: "pty", status: status, workspace: "ws", title: "t-\(id)", createdAt: createdAt, updatedAt: createdAt)
}

/// The typed error `body` threw, or nil (recorded as a failure) if it did not throw.
func storeError(
    _ body: () throws(StoreError) -> Void, file: StaticString = #filePath, line: UInt = #line
) -> StoreError? {
    do {
        try body()
        XCTFail("expected a StoreError", file: file, line: line)
        return nil
    } catch {
        return error
    }
}
