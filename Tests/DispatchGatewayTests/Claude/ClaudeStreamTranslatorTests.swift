import XCTest
@testable import DispatchGateway

final class LineSplitterTests: XCTestCase {
    private func lines(_ pieces: [LineSplitter.Piece]) -> [String] {
        pieces.map { if case .line(let bytes) = $0 { String(decoding: bytes, as: UTF8.self) } else { "<too long>" } }
    }

    func testLinesAcrossChunksWithCarriageReturnsAndALastLineWithoutNewline() {
        var splitter = LineSplitter(maxLineLength: 100)
        XCTAssertEqual(lines(splitter.feed(Array("ab".utf8))), [])
        XCTAssertEqual(lines(splitter.feed(Array("c\r\nd\n\nef".utf8))), ["abc", "d", ""])
        XCTAssertEqual(lines(splitter.finish()), ["ef"])
        XCTAssertEqual(lines(splitter.finish()), [])
    }

    func testAnOverlongLineIsReportedOnceAndSkippedToItsEnd() {
        var splitter = LineSplitter(maxLineLength: 4)
        XCTAssertEqual(lines(splitter.feed(Array("ok\n123".utf8))), ["ok"])
        XCTAssertEqual(lines(splitter.feed(Array("45".utf8))), ["<too long>"])
        XCTAssertEqual(lines(splitter.feed(Array("6789".utf8))), [])
        XCTAssertEqual(lines(splitter.feed(Array("0\nfine\n".utf8))), ["fine"])
        XCTAssertEqual(lines(splitter.feed(Array("1234\n".utf8))), ["1234"], "exactly the limit is fine")
    }
}

final class ClaudeStreamTranslatorTests: XCTestCase {
    private func decoded(_ events: [SessionEvent.Body]) -> [(String, JSON)] {
        events.map { body in
            guard case .worker(let channel, let payload) = body else { return ("?", .null) }
            return (channel, JSON.parse(payload) ?? .null)
        }
    }

    private func channels(_ events: [SessionEvent.Body]) -> [String] {
        decoded(events).map(\.0)
    }

    func testEachLineIsAVerbatimMessageAndAResultIsAlsoAResult() {
        var translator = ClaudeStreamTranslator()
        let initLine = #"{"type":"system","subtype":"init","session_id":"S","future_field":[1,2]}"#
        let result = #"{"type":"result","subtype":"success","is_error":false,"total_cost_usd":0.0042,"session_id":"S"}"#
        let events = translator.output(Array((initLine + "\n" + #"{"type":"brand_new"}"# + "\n" + result + "\n").utf8))
        XCTAssertEqual(channels(events), ["claude:message", "claude:message", "claude:message", "claude:result"])
        guard case .worker(_, let payload) = events[0] else { return XCTFail() }
        XCTAssertEqual(payload, Array(initLine.utf8), "passed on byte for byte")
        XCTAssertEqual(decoded(events)[3].1["total_cost_usd"], .number(0.0042))
    }

    func testLinesSplitAcrossReadsAreJoined() {
        var translator = ClaudeStreamTranslator()
        let line = Array(#"{"type":"assistant","message":{"content":[{"type":"text","text":"héllo"}]}}"#.utf8)
        XCTAssertEqual(translator.output(Array(line[0..<20])), [])
        XCTAssertEqual(translator.output(Array(line[20..<31])), [])
        XCTAssertEqual(channels(translator.output(Array(line[31...]) + [10])), ["claude:message"])
    }

    func testNotJsonAndOverlongLinesAreErrorsAndTheStreamGoesOn() {
        var translator = ClaudeStreamTranslator(maxLineLength: 64)
        let events = decoded(translator.output(Array(("plain text\n[1,2]\n" + String(repeating: "x", count: 100) + "\n" + #"{"type":"user"}"# + "\n").utf8)))
        XCTAssertEqual(events.map(\.0), ["claude:error", "claude:error", "claude:error", "claude:message"])
        XCTAssertEqual(events[0].1["kind"], .string("not_json"))
        XCTAssertEqual(events[0].1["message"], .string("the CLI printed a line that is not a JSON message: plain text"))
        XCTAssertEqual(events[1].1["kind"], .string("not_json"))
        XCTAssertEqual(events[2].1["kind"], .string("too_long"))
        XCTAssertEqual(translator.output(Array("\n  \n".utf8)), [], "blank lines are nothing")
    }

    func testStderrLinesAreErrorsAndAMissingConversationIsSaidOnce() {
        var translator = ClaudeStreamTranslator()
        let warning = decoded(translator.diagnostics(Array("warn: low disk\n".utf8)))
        XCTAssertEqual(warning.map(\.0), ["claude:error"])
        XCTAssertEqual(warning[0].1, .object([("message", .string("warn: low disk")), ("kind", .string("stderr"))]))
        let missing = decoded(translator.diagnostics(Array("No conversation found with session ID: X\n".utf8)))
        XCTAssertEqual(missing[0].1["kind"], .string("no_conversation"))
        let result = #"{"type":"result","subtype":"error_during_execution","is_error":true,"errors":["No conversation found with session ID: X"]}"#
        XCTAssertEqual(channels(translator.output(Array((result + "\n").utf8))), ["claude:message", "claude:result"])
        // A new process may say it again.
        _ = translator.processStarting()
        let again = decoded(translator.output(Array((result + "\n").utf8)))
        XCTAssertEqual(again.map(\.0), ["claude:message", "claude:result", "claude:error"])
        XCTAssertEqual(again[2].1["kind"], .string("no_conversation"))
    }

    func testPermissionRequestsArePendingUntilTakenAndExpireWithTheProcess() throws {
        var translator = ClaudeStreamTranslator()
        let request = #"{"type":"control_request","request_id":"p1","request":{"subtype":"can_use_tool","tool_name":"Bash","input":{"command":"ls"},"tool_use_id":"toolu_1"}}"#
        let other = #"{"type":"control_request","request_id":"h1","request":{"subtype":"hook_callback"}}"#
        let events = decoded(translator.output(Array((request + "\n" + other + "\n").utf8)))
        XCTAssertEqual(events.map(\.0), ["claude:permission", "claude:message"])
        XCTAssertEqual(events[0].1, JSON.parse(Array(#"{"requestId":"p1","toolName":"Bash","input":{"command":"ls"},"toolUseId":"toolu_1","state":"pending"}"#.utf8)))
        XCTAssertEqual(translator.pending.map(\.requestId), ["p1"])
        XCTAssertEqual(translator.take(requestId: "p1")?.input, .object([("command", .string("ls"))]))
        XCTAssertNil(translator.take(requestId: "p1"))
        _ = translator.output(Array((request.replacingOccurrences(of: "p1", with: "p2") + "\n").utf8))
        let ended = decoded(translator.processEnded())
        XCTAssertEqual(ended.map(\.0), ["claude:permission"])
        XCTAssertEqual(ended[0].1["state"], .string("expired"))
        XCTAssertTrue(translator.pending.isEmpty)
    }

    func testPendingRequestsComeBackFromTheMetaTheyWereWrittenTo() throws {
        var translator = ClaudeStreamTranslator()
        _ = translator.output(Array((#"{"type":"control_request","request_id":"p1","request":{"subtype":"can_use_tool","tool_name":"Edit","input":{"file":"a"},"tool_use_id":"toolu_9"}}"# + "\n").utf8))
        let stored = try XCTUnwrap(JSON.parse(Array(JSON.array(translator.pending.map(\.json)).text.utf8)))
        guard case .array(let entries) = stored else { return XCTFail("not an array") }
        var restored = ClaudeStreamTranslator(pending: entries.compactMap(ClaudeStreamTranslator.Permission.init(json:)))
        XCTAssertEqual(restored.pending, translator.pending)
        XCTAssertNil(ClaudeStreamTranslator.Permission(json: .object([("toolName", .string("Edit"))])), "no request id: not a request")
        XCTAssertEqual(restored.take(requestId: "p1")?.toolName, "Edit")
    }

    func testTheEndReleasesALastLineWithoutNewline() {
        var translator = ClaudeStreamTranslator()
        XCTAssertEqual(translator.output(Array(#"{"type":"result","subtype":"success"}"#.utf8)), [])
        XCTAssertEqual(channels(translator.diagnostics(Array("half a warning".utf8))), [])
        XCTAssertEqual(channels(translator.processEnded()), ["claude:message", "claude:result", "claude:error"])
    }

    func testAStartDropsWhatACrashedProcessLeftHalfWritten() {
        var translator = ClaudeStreamTranslator()
        XCTAssertEqual(translator.output(Array(#"{"type":"assis"#.utf8)), [])
        XCTAssertEqual(translator.processStarting(), [])
        XCTAssertEqual(channels(translator.output(Array(("{\"type\":\"user\"}\n").utf8))), ["claude:message"])
    }
}

final class TranscriptSummaryTests: XCTestCase {
    func testSummaryFirstMessageAndCount() {
        var summary = TranscriptSummary()
        let lines = [
            #"{"type":"queue-operation","operation":"enqueue"}"#,
            #"{"type":"user","isMeta":true,"message":{"role":"user","content":"<command-name>/clear</command-name>"}}"#,
            #"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"List the files"}]}}"#,
            #"{"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"Sure"}]}}"#,
            #"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"a"}]}}"#,
            #"{"type":"summary","summary":"Listing files","leafUuid":"u"}"#,
            "not json at all",
        ]
        for line in lines { summary.add(line: Array(line.utf8)) }
        XCTAssertEqual(summary.summary, "Listing files")
        XCTAssertEqual(summary.firstMessage, "List the files")
        XCTAssertEqual(summary.messageCount, 4)
    }

    func testProjectFolderNames() {
        XCTAssertEqual(TranscriptSummary.projectFolderName(forDirectory: "/home/u/ws2/a.b_c d"), "-home-u-ws2-a-b-c-d")
        XCTAssertEqual(TranscriptSummary.projectFolderName(forDirectory: "/srv/ünï/😀"), "-srv--n----", "per UTF-16 unit, as in JavaScript")
    }
}
