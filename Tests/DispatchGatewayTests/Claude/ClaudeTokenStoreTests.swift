import Foundation
import Glibc
import XCTest
@testable import DispatchGateway

final class ClaudeTokenStoreTests: XCTestCase {
    private var home = ""

    override func setUpWithError() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("claude-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: home)
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0)
        return info.st_mode & 0o777
    }

    func testSavedPrivatelyLoadedAndReplacedWholeWithNothingLeftBehind() throws {
        let store = ClaudeTokenStore(home: home)
        XCTAssertNil(store.load())
        try store.save("sk-ant-oat01-first")
        XCTAssertEqual(store.path, home + "/claude-oauth-token")
        XCTAssertEqual(mode(store.path), 0o600)
        XCTAssertEqual(try String(contentsOfFile: store.path, encoding: .utf8), "sk-ant-oat01-first\n")
        XCTAssertEqual(store.load(), "sk-ant-oat01-first")
        try store.save("sk-ant-oat01-second")
        XCTAssertEqual(ClaudeTokenStore(home: home).load(), "sk-ant-oat01-second")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home), ["claude-oauth-token"], "no temporary file left")
        store.forget()
        XCTAssertNil(store.load())
        store.forget()  // nothing to forget is fine
    }

    func testASymlinkAnEmptyFileOrAHugeFileIsNoToken() throws {
        let store = ClaudeTokenStore(home: home)
        let elsewhere = home + "/elsewhere"
        try "sk-ant-oat01-planted\n".write(toFile: elsewhere, atomically: true, encoding: .utf8)
        XCTAssertEqual(symlink(elsewhere, store.path), 0)
        XCTAssertNil(store.load(), "a symlink is not followed")
        unlink(store.path)
        try "\n".write(toFile: store.path, atomically: true, encoding: .utf8)
        XCTAssertNil(store.load())
        try String(repeating: "x", count: 10_000).write(toFile: store.path, atomically: true, encoding: .utf8)
        XCTAssertNil(store.load())
    }

    func testAMissingHomeIsAClearError() {
        let store = ClaudeTokenStore(home: home + "/missing")
        XCTAssertThrowsError(try store.save("sk-ant-oat01-x")) { error in
            XCTAssertTrue("\(error)".contains("No such file or directory"), "\(error)")
            XCTAssertFalse("\(error)".contains("sk-ant"), "the token is not in the message")
        }
    }
}
