import Foundation
import XCTest
@testable import DispatchGateway

final class WorkspacesTests: XCTestCase {
    private var root = ""
    private var outside = ""

    override func setUpWithError() throws {
        let base = FileManager.default.temporaryDirectory.path + "/workspaces-\(UUID().uuidString)"
        root = base + "/root"
        outside = base + "/outside"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
    }

    private func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    func testValidNames() {
        for name in ["a", "Z", "0", "my-project_2.0", "a..b", "trailing.", String(repeating: "x", count: 64)] {
            XCTAssertTrue(Workspaces.isValidName(name), name)
        }
        let bad = [
            "", String(repeating: "x", count: 65), ".", "..", ".hidden", "a/b", "../x", "/abs", "a/", "a\0b", "a b",
            "é", "%2e%2e", "a\\b", "a:b", "a\n", "-\u{0301}", "ａ",
        ]
        for name in bad { XCTAssertFalse(Workspaces.isValidName(name), name.debugDescription) }
    }

    func testFolderCreatesAndReturnsPath() throws {
        let workspaces = Workspaces(root: root)
        let path = try workspaces.folder("proj")
        XCTAssertEqual(path, root + "/proj")
        XCTAssertTrue(isDirectory(path))
        // Existing folder: same path, no error.
        XCTAssertEqual(try workspaces.folder("proj"), path)
    }

    func testFolderRejectsInvalidName() {
        for name in ["..", "../x", "a/b", ""] {
            XCTAssertThrowsError(try Workspaces(root: root).folder(name)) { error in
                XCTAssertEqual(error as? Workspaces.Problem, .invalidName(name))
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/a"))
    }

    func testFolderRefusesSymlinkOutsideRoot() throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/escape", withDestinationPath: outside)
        XCTAssertThrowsError(try Workspaces(root: root).folder("escape")) { error in
            XCTAssertEqual(error as? Workspaces.Problem, .notAFolder("escape"))
        }
        // A dangling symlink is refused too, and not followed to create its target.
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: outside + "/made")
        XCTAssertThrowsError(try Workspaces(root: root).folder("dangling")) { error in
            XCTAssertEqual(error as? Workspaces.Problem, .notAFolder("dangling"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside + "/made"))
    }

    func testFolderRefusesRegularFile() {
        XCTAssertTrue(FileManager.default.createFile(atPath: root + "/file", contents: Data("x".utf8)))
        XCTAssertThrowsError(try Workspaces(root: root).folder("file")) { error in
            XCTAssertEqual(error as? Workspaces.Problem, .notAFolder("file"))
        }
    }

    func testFolderUnderMissingRootIsSystemError() {
        XCTAssertThrowsError(try Workspaces(root: root + "/missing").folder("a")) { error in
            guard case .system = error as? Workspaces.Problem else { return XCTFail("\(error)") }
        }
    }

    func testFreshGivesNewValidNames() throws {
        let workspaces = Workspaces(root: root)
        var names = Set<String>()
        for _ in 0..<20 {
            let (name, path) = try workspaces.fresh()
            XCTAssertTrue(Workspaces.isValidName(name), name)
            XCTAssertEqual(path, root + "/" + name)
            XCTAssertTrue(isDirectory(path))
            names.insert(name)
        }
        XCTAssertEqual(names.count, 20)
        XCTAssertEqual(workspaces.list(), names.sorted())
    }

    func testListShowsValidFoldersOnlySorted() throws {
        let workspaces = Workspaces(root: root)
        for name in ["beta", "Alpha", "alpha", "z-9"] { _ = try workspaces.folder(name) }
        try FileManager.default.createDirectory(atPath: root + "/.hidden", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: root + "/has space", withIntermediateDirectories: false)
        XCTAssertTrue(FileManager.default.createFile(atPath: root + "/file", contents: nil))
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: outside)
        XCTAssertEqual(workspaces.list(), ["Alpha", "alpha", "beta", "z-9"])
        XCTAssertEqual(Workspaces(root: root + "/missing").list(), [])
    }
}
