import XCTest
@testable import DispatchGateway

final class ClaudeOptionsTests: XCTestCase {
    private func parse(_ text: String) throws -> ClaudeOptions {
        try ClaudeOptions.parse(JSON.parse(Array(text.utf8)))
    }

    func testDefaultsAskBeforeTools() throws {
        let options = try ClaudeOptions.parse(nil)
        XCTAssertEqual(options.permissionMode, "default")
        XCTAssertTrue(options.asksBeforeTools)
        XCTAssertEqual(try parse("{}"), options)
    }

    func testEveryOptionIsRead() throws {
        let options = try parse("""
            {"permissionMode":"acceptEdits","model":"claude-sonnet-4-5","allowedTools":["Read","Bash(git log:*)"],
             "disallowedTools":["WebFetch"],"appendSystemPrompt":"Be brief.","maxTurns":7,"resume":"5f0c-ab_1"}
            """)
        XCTAssertEqual(options.permissionMode, "acceptEdits")
        XCTAssertEqual(options.model, "claude-sonnet-4-5")
        XCTAssertEqual(options.allowedTools, ["Read", "Bash(git log:*)"])
        XCTAssertEqual(options.disallowedTools, ["WebFetch"])
        XCTAssertEqual(options.appendSystemPrompt, "Be brief.")
        XCTAssertEqual(options.maxTurns, 7)
        XCTAssertEqual(options.resume, "5f0c-ab_1")
        // The meta keeps what a reopened session needs, but not the one-time resume.
        XCTAssertNil(try ClaudeOptions.parse(options.json).resume)
        var reparsed = try ClaudeOptions.parse(options.json)
        reparsed.resume = options.resume
        XCTAssertEqual(reparsed, options)
    }

    func testModesThatNeverAsk() throws {
        XCTAssertFalse(try parse(#"{"permissionMode":"bypassPermissions"}"#).asksBeforeTools)
        XCTAssertFalse(try parse(#"{"permissionMode":"dontAsk"}"#).asksBeforeTools)
        XCTAssertTrue(try parse(#"{"permissionMode":"plan"}"#).asksBeforeTools)
    }

    func testBadValuesAreClearErrors() {
        let cases: [(String, String)] = [
            (#"[]"#, "must be an object"),
            (#"{"permissionMode":"yolo"}"#, "permissionMode"),
            (#"{"permissionMode":3}"#, "permissionMode"),
            (#"{"model":"--help"}"#, "model"),
            (#"{"model":"a b"}"#, "model"),
            (#"{"allowedTools":"Read"}"#, "allowedTools"),
            (#"{"allowedTools":["-x"]}"#, "allowedTools"),
            (#"{"disallowedTools":["a,b"]}"#, "disallowedTools"),
            (#"{"disallowedTools":["a\nb"]}"#, "disallowedTools"),
            (#"{"maxTurns":0}"#, "maxTurns"),
            (#"{"maxTurns":1.5}"#, "maxTurns"),
            (#"{"resume":"../x"}"#, "resume"),
            (#"{"resume":""}"#, "resume"),
            (#"{"appendSystemPrompt":7}"#, "appendSystemPrompt"),
            (#"{"colour":"blue"}"#, "unknown option"),
        ]
        for (text, needle) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue("\(error)".contains(needle), "\(text): \(error)")
            }
        }
    }
}

final class ClaudeCommandLineTests: XCTestCase {
    func testANewConversation() {
        let line = ClaudeCommandLine(executable: "/bin/claude", options: ClaudeOptions(), conversation: .start(id: "abc"))
        XCTAssertEqual(line.arguments, ["/bin/claude", "-p", "--input-format", "stream-json", "--output-format", "stream-json",
                                        "--verbose", "--include-partial-messages", "--session-id", "abc",
                                        "--permission-mode=default", "--permission-prompt-tool", "stdio"])
    }

    func testResumeWithEveryOptionAttachedSoNothingReadsAsAFlag() throws {
        var options = ClaudeOptions()
        options.permissionMode = "bypassPermissions"
        options.model = "opus"
        options.allowedTools = ["Read", "Bash(git log:*)"]
        options.disallowedTools = ["WebFetch"]
        options.appendSystemPrompt = "--not-a-flag"
        options.maxTurns = 3
        let line = ClaudeCommandLine(executable: "claude", options: options, conversation: .resume(id: "-abc"))
        XCTAssertEqual(Array(line.arguments.dropFirst(8)), [
            "--resume=-abc", "--permission-mode=bypassPermissions", "--model=opus", "--allowedTools=Read,Bash(git log:*)",
            "--disallowedTools=WebFetch", "--append-system-prompt=--not-a-flag", "--max-turns=3",
        ])
    }
}

final class ClaudeInputTests: XCTestCase {
    private func object(_ line: [UInt8]) throws -> JSON {
        XCTAssertEqual(line.last, UInt8(ascii: "\n"))
        XCTAssertEqual(line.filter { $0 == UInt8(ascii: "\n") }.count, 1, "one line")
        return try XCTUnwrap(JSON.parse(Array(line.dropLast())))
    }

    func testUserMessageIsOneLineWhateverTheText() throws {
        let message = try object(ClaudeInput.userMessage("two\nlines \"quoted\" ünï"))
        XCTAssertEqual(message["type"], .string("user"))
        XCTAssertEqual(message["message"]?["role"], .string("user"))
        XCTAssertEqual(message["message"]?["content"], .string("two\nlines \"quoted\" ünï"))
        XCTAssertEqual(message["parent_tool_use_id"], .null)
    }

    func testInterrupt() throws {
        let request = try object(ClaudeInput.interrupt(requestId: "dispatch_4"))
        XCTAssertEqual(request, JSON.parse(Array(#"{"type":"control_request","request_id":"dispatch_4","request":{"subtype":"interrupt"}}"#.utf8)))
    }

    func testPermissionAnswers() throws {
        let input = JSON.object([("command", .string("ls"))])
        let allow = try object(ClaudeInput.permissionAnswer(requestId: "r1", allow: true, input: input, message: nil))
        XCTAssertEqual(allow["type"], .string("control_response"))
        XCTAssertEqual(allow["response"]?["subtype"], .string("success"))
        XCTAssertEqual(allow["response"]?["request_id"], .string("r1"))
        XCTAssertEqual(allow["response"]?["response"], .object([("behavior", .string("allow")), ("updatedInput", input)]))
        let deny = try object(ClaudeInput.permissionAnswer(requestId: "r2", allow: false, input: input, message: "no"))
        XCTAssertEqual(deny["response"]?["response"], .object([("behavior", .string("deny")), ("message", .string("no"))]))
    }
}
