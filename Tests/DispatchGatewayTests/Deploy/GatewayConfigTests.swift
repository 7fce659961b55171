import Foundation
import XCTest
@testable import DispatchGateway

final class GatewayConfigTests: XCTestCase {
    private let base = ["HOME": "/home/u", "DISPATCH_HOME": "/srv/dispatch"]

    private func failure(_ extra: [String: String], file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try GatewayConfig(environment: base.merging(extra) { $1 })
            XCTFail("\(extra) was accepted", file: file, line: line)
            return nil
        } catch {
            return error.description
        }
    }

    func testDefaultsLetABareGatewayRun() throws {
        let config = try GatewayConfig(environment: ["HOME": "/home/u"])
        XCTAssertEqual(config.home, "/home/u/.dispatch")
        XCTAssertEqual(config.workspacesRoot, "/home/u/.dispatch/workspaces")
        XCTAssertEqual(config.databasePath, "/home/u/.dispatch/dispatch.db")
        XCTAssertEqual(config.port, 3030)
        XCTAssertEqual(config.host, "127.0.0.1")
        XCTAssertEqual(config.tunnel, TunnelSettings())
        XCTAssertEqual(config.logFormat, .json)
    }

    func testLogFormatIsJsonOrText() throws {
        XCTAssertEqual(try GatewayConfig(environment: base.merging(["LOG_FORMAT": "text"]) { $1 }).logFormat, .text)
        XCTAssertEqual(try GatewayConfig(environment: base.merging(["LOG_FORMAT": "json"]) { $1 }).logFormat, .json)
        XCTAssertEqual(failure(["LOG_FORMAT": "pretty"]), #"LOG_FORMAT="pretty" is invalid: expected json or text"#)
        // Read on its own before the rest, so that another variable's mistake is told in the chosen format.
        XCTAssertEqual(try GatewayConfig.logFormat(["LOG_FORMAT": "text", "PORT": "abc"]), .text)
    }

    func testTunnelSettingsAreRead() throws {
        let config = try GatewayConfig(environment: base.merging(["ENABLE_TUNNEL": "yes", "LT_SUBDOMAIN": "my-box-7",
                                                                  "TUNNEL_COMMAND": "ssh -R 80:localhost:$PORT x", "TUNNEL_URL_MATCH": "serveo"]) { $1 })
        XCTAssertTrue(config.tunnel.enabled)
        XCTAssertEqual(config.tunnel.subdomain, "my-box-7")
        XCTAssertEqual(config.tunnel.command, "ssh -R 80:localhost:$PORT x")
        XCTAssertEqual(config.tunnel.urlMatch, "serveo")
    }

    func testEachBadValueNamesItsVariableInOneLine() {
        let cases: [(String, String)] = [
            ("PORT", "abc"), ("PORT", "70000"), ("PORT", "-1"), ("MAX_SESSIONS", "0"), ("LOG_LEVEL", "loud"),
            ("LOG_FORMAT", "pretty"), ("LOG_FORMAT", "JSON"), ("LOG_FORMAT", ""),
            ("ENABLE_TUNNEL", "perhaps"), ("LT_SUBDOMAIN", "Has_Caps"), ("LT_SUBDOMAIN", "-dash"),
            ("LT_SUBDOMAIN", String(repeating: "a", count: 64)), ("HOST", ""), ("DISPATCH_HOME", "relative/home"),
            ("WORKSPACES_ROOT", ""), ("DATABASE_PATH", "dispatch.db"), ("RETENTION_DAYS", "0"), ("COOKIE_SECURE", "2"),
        ]
        for (name, value) in cases {
            guard let message = failure([name: value]) else { continue }
            XCTAssertTrue(message.hasPrefix("\(name)="), "\(name)=\(value): \(message)")
            XCTAssertFalse(message.contains("\n"), message)
        }
    }

    func testAWorkspaceRootWhoseParentIsMissingIsRefusedByName() throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try GatewayConfig(environment: ["DISPATCH_HOME": folder + "/home", "WORKSPACES_ROOT": folder + "/missing/ws"])
        XCTAssertThrowsError(try config.prepareFolders()) { error in
            XCTAssertEqual("\(error)", "WORKSPACES_ROOT=\"\(folder)/missing/ws\" is invalid: cannot create the folder: its parent \(folder)/missing does not exist")
        }
    }

    func testAFileWhereAFolderShouldBeIsRefusedByName() throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/file", contents: Data()))
        let config = try GatewayConfig(environment: ["DISPATCH_HOME": folder + "/file"])
        XCTAssertThrowsError(try config.prepareFolders()) { error in
            XCTAssertTrue("\(error)".hasPrefix("DISPATCH_HOME="), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("it exists and is not a folder"), "\(error)")
        }
    }

    func testADatabaseInAMissingFolderIsRefusedByName() throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try GatewayConfig(environment: ["DISPATCH_HOME": folder, "DATABASE_PATH": folder + "/nope/dispatch.db"])
        XCTAssertThrowsError(try config.prepareFolders()) { error in
            XCTAssertEqual("\(error)", "DATABASE_PATH=\"\(folder)/nope/dispatch.db\" is invalid: its folder \(folder)/nope does not exist")
        }
    }

    func testParentOfAPath() {
        XCTAssertEqual(FolderCheck.parent(of: "/a/b/c"), "/a/b")
        XCTAssertEqual(FolderCheck.parent(of: "/a/b/"), "/a")
        XCTAssertEqual(FolderCheck.parent(of: "/a"), "/")
    }
}
