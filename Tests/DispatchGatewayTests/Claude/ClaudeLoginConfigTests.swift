import XCTest
@testable import DispatchGateway

final class ClaudeLoginConfigTests: XCTestCase {
    func testTheCLIAndTheTestTimeoutComeFromTheEnvironment() throws {
        let defaults = try GatewayConfig(environment: ["HOME": "/home/u"])
        XCTAssertEqual(defaults.claudeExecutable, "claude")
        XCTAssertNil(defaults.claudeLoginTimeoutSeconds)
        let empty = try GatewayConfig(environment: ["CLAUDE_BIN": ""])
        XCTAssertEqual(empty.claudeExecutable, "claude", "an empty variable counts as unset")
        let set = try GatewayConfig(environment: ["CLAUDE_BIN": "/opt/claude/bin/claude", "DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS": "5"])
        XCTAssertEqual(set.claudeExecutable, "/opt/claude/bin/claude")
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
        XCTAssertEqual(ExecutableLookup.find("sh", environment: ["PATH=/nonexistent:/bin:/usr/bin"]), "/bin/sh")
        XCTAssertEqual(ExecutableLookup.find("/bin/sh", environment: ["PATH="]), "/bin/sh")
        XCTAssertNil(ExecutableLookup.find("sh", environment: ["PATH=/nonexistent"]))
        XCTAssertNil(ExecutableLookup.find("/etc/passwd", environment: ["PATH="]), "not executable")
        XCTAssertNil(ExecutableLookup.find("bin", environment: ["PATH=/"]), "a folder is not a program")
        XCTAssertNil(ExecutableLookup.find("", environment: ["PATH=/bin"]))
    }
}
