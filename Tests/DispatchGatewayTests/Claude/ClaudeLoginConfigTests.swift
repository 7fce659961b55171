import XCTest
@testable import DispatchGateway

final class ClaudeLoginConfigTests: XCTestCase {
    func testTheCLIAndTheTestTimeoutComeFromTheEnvironment() throws {
        let defaults = try GatewayConfig(environment: ["HOME": "/home/u"])
        XCTAssertEqual(defaults.claudeBinary, "claude")
        XCTAssertNil(defaults.claudeLoginTimeoutSeconds)
        let empty = try GatewayConfig(environment: ["CLAUDE_BIN": ""])
        XCTAssertEqual(empty.claudeBinary, "claude", "an empty variable counts as unset")
        let set = try GatewayConfig(environment: ["CLAUDE_BIN": "/opt/claude/bin/claude", "DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS": "5"])
        XCTAssertEqual(set.claudeBinary, "/opt/claude/bin/claude")
        XCTAssertEqual(set.claudeLoginTimeoutSeconds, 5)
    }

    func testABadTimeoutNamesTheVariable() {
        for value in ["0", "-1", "soon", "86401"] {
            XCTAssertThrowsError(try GatewayConfig(environment: ["DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS": value])) { error in
                XCTAssertEqual((error as? GatewayConfig.Invalid)?.variable, "DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS", value)
            }
        }
    }

    func testExecutablesAreFoundLikeAShellFindsThem() {
        XCTAssertEqual(ExecutableLookup.find("sh", searchPath: "/nonexistent:/bin:/usr/bin"), "/bin/sh")
        XCTAssertEqual(ExecutableLookup.find("/bin/sh", searchPath: ""), "/bin/sh")
        XCTAssertNil(ExecutableLookup.find("sh", searchPath: "/nonexistent"))
        XCTAssertNil(ExecutableLookup.find("/etc/passwd", searchPath: ""), "not executable")
        XCTAssertNil(ExecutableLookup.find("bin", searchPath: "/"), "a folder is not a program")
        XCTAssertNil(ExecutableLookup.find("", searchPath: "/bin"))
        XCTAssertEqual(ExecutableLookup.searchPath(of: ["HOME=/h", "PATH=/a:/b"]), "/a:/b")
    }
}
