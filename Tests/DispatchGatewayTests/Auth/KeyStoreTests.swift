import Foundation
import Glibc
import XCTest
@testable import DispatchGateway

final class KeyStoreTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keystore-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func write(_ text: String, to name: String) throws -> String {
        let path = directory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testKeyFileTrimsOneTrailingNewline() throws {
        let path = try write("correct horse battery staple\n", to: "key")
        let loaded = try KeyStore.load(environment: ["TERMINAL_KEY_FILE": path], home: directory + "/home")
        XCTAssertEqual(loaded.key, "correct horse battery staple")
        XCTAssertEqual(loaded.source, .file(path))

        let crlf = try write("correct horse battery staple\r\n", to: "crlf")
        XCTAssertEqual(try KeyStore.load(environment: ["TERMINAL_KEY_FILE": crlf], home: directory).key,
                       "correct horse battery staple")
        let two = try write("correct horse battery staple\n\n", to: "two")
        XCTAssertEqual(try KeyStore.load(environment: ["TERMINAL_KEY_FILE": two], home: directory).key,
                       "correct horse battery staple\n")
    }

    func testKeyFileWinsOverEnvironment() throws {
        let path = try write("from-the-file-0123456789", to: "key")
        let loaded = try KeyStore.load(environment: ["TERMINAL_KEY_FILE": path, "TERMINAL_KEY": "from-the-environment"],
                                       home: directory)
        XCTAssertEqual(loaded.key, "from-the-file-0123456789")
    }

    func testMissingKeyFileIsUnreadable() {
        XCTAssertThrowsError(try KeyStore.load(environment: ["TERMINAL_KEY_FILE": directory + "/absent"], home: directory)) {
            guard case .unreadable(let detail)? = $0 as? KeyStore.LoadError else { return XCTFail("\($0)") }
            XCTAssertTrue(detail.contains(self.directory + "/absent"), detail)
        }
    }

    func testEnvironmentKeyIsRemovedFromTheProcess() throws {
        let previous = getenv("TERMINAL_KEY").map { String(cString: $0) }
        defer {
            if let previous { setenv("TERMINAL_KEY", previous, 1) } else { unsetenv("TERMINAL_KEY") }
        }
        let secret = "env-key-\(UUID().uuidString)"
        setenv("TERMINAL_KEY", secret, 1)
        let loaded = try KeyStore.load(environment: ["TERMINAL_KEY": secret], home: directory)
        XCTAssertEqual(loaded.key, secret)
        XCTAssertEqual(loaded.source, .environment)
        XCTAssertNil(getenv("TERMINAL_KEY"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/terminal-key"))
    }

    func testGeneratedOnceThenReused() throws {
        let home = directory + "/home"
        let first = try KeyStore.load(environment: [:], home: home)
        let path = home + "/terminal-key"
        XCTAssertEqual(first.source, .generated(path: path, isNew: true))
        XCTAssertEqual(first.key.utf8.count, 64)
        XCTAssertTrue(first.key.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })

        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), first.key + "\n")
        // Nothing left behind from the write-then-link.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home), ["terminal-key"])

        let second = try KeyStore.load(environment: ["TERMINAL_KEY": ""], home: home)
        XCTAssertEqual(second.key, first.key)
        XCTAssertEqual(second.source, .generated(path: path, isNew: false))

        let other = try KeyStore.load(environment: [:], home: directory + "/elsewhere")
        XCTAssertNotEqual(other.key, first.key)
    }

    func testLoosenedGeneratedFileIsTightened() throws {
        let home = directory
        let first = try KeyStore.load(environment: [:], home: home)
        chmod(home + "/terminal-key", 0o644)
        XCTAssertEqual(try KeyStore.load(environment: [:], home: home).key, first.key)
        var info = stat()
        XCTAssertEqual(stat(home + "/terminal-key", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
    }

    func testGeneratedPathMayNotBeASymlink() throws {
        let target = try write("planted-key-0123456789abcdef", to: "planted")
        XCTAssertEqual(symlink(target, directory + "/terminal-key"), 0)
        XCTAssertThrowsError(try KeyStore.load(environment: [:], home: directory)) {
            guard case .unreadable? = $0 as? KeyStore.LoadError else { return XCTFail("\($0)") }
        }
    }

    func testTooShort() throws {
        let short = KeyStore.LoadError.tooShort(minimum: 16)
        XCTAssertThrowsError(try KeyStore.load(environment: ["TERMINAL_KEY": "fifteen-chars!!"], home: directory)) {
            XCTAssertEqual($0 as? KeyStore.LoadError, short)
        }
        XCTAssertEqual(try KeyStore.load(environment: ["TERMINAL_KEY": "sixteen-chars!!!"], home: directory).key,
                       "sixteen-chars!!!")
        let path = try write("short\n", to: "short")
        XCTAssertThrowsError(try KeyStore.load(environment: ["TERMINAL_KEY_FILE": path], home: directory)) {
            XCTAssertEqual($0 as? KeyStore.LoadError, short)
        }
        XCTAssertFalse(short.description.isEmpty)
    }

    func testMatches() {
        let key = "correct horse battery staple"
        XCTAssertTrue(KeyStore.matches(candidate: key, key: key))
        XCTAssertFalse(KeyStore.matches(candidate: "correct horse battery stapler", key: key))
        XCTAssertFalse(KeyStore.matches(candidate: "correct horse battery stapl", key: key))
        XCTAssertFalse(KeyStore.matches(candidate: "Correct horse battery staple", key: key))
        XCTAssertFalse(KeyStore.matches(candidate: "", key: key))
        XCTAssertFalse(KeyStore.matches(candidate: key + "\n", key: key))
    }
}
