@testable import DispatchPosix
import XCTest

final class LogLineTests: XCTestCase {
    /// 2026-11-25T07:30:00.042Z
    private let moment: Int64 = 1_795_591_800_042

    private func text(_ message: String, _ fields: [(String, String)] = [], _ level: Log.Level = .info) -> String {
        LogLine.render(.text, level, message, fields, milliseconds: moment)
    }

    func testJsonLinesAreUnchanged() {
        XCTAssertEqual(LogLine.render(.json, .warn, "worker \"x\" died\n", [("session", "s1"), ("pid", "42")], milliseconds: moment),
                       #"{"ts":1795591800.042,"level":"warn","msg":"worker \"x\" died\n","session":"s1","pid":"42"}"# + "\n")
        XCTAssertEqual(LogLine.render(.json, .info, "m", [], milliseconds: 5_007), #"{"ts":5.007,"level":"info","msg":"m"}"# + "\n")
    }

    func testTextHasTimeLevelMessageThenFields() {
        XCTAssertEqual(text("dispatch-gateway listening", [("url", "http://127.0.0.1:3030"), ("home", "/srv/d")]),
                       "2026-11-25T07:30:00.042Z INFO  dispatch-gateway listening url=http://127.0.0.1:3030 home=/srv/d\n")
        XCTAssertEqual(text("boom", [], .error), "2026-11-25T07:30:00.042Z ERROR boom\n")
        XCTAssertEqual(text("m", [], .debug), "2026-11-25T07:30:00.042Z DEBUG m\n")
        XCTAssertEqual(text("m", [], .warn), "2026-11-25T07:30:00.042Z WARN  m\n")
    }

    func testTextValuesAreQuotedOnlyWhenNeeded() {
        XCTAssertEqual(text("m", [("a", "two words"), ("b", ""), ("c", "k=v"), ("d", "tab\there"), ("e", "plain/path-1.2"), ("f", "ünï")]),
                       #"2026-11-25T07:30:00.042Z INFO  m a="two words" b="" c="k=v" d="tab\there" e=plain/path-1.2 f=ünï"# + "\n")
        XCTAssertEqual(text("m", [("q", #"say "hi""#), ("s", #"C:\dir"#)]),
                       #"2026-11-25T07:30:00.042Z INFO  m q="say \"hi\"" s="C:\\dir""# + "\n")
    }

    func testNoTextLineCanBeForgedOrSteerTheTerminal() {
        let hostile = "a\nb\r\u{1B}[31mred\u{7}\u{0}\u{7F}\u{9B}2J\u{2028}z"
        let escaped = #""a\nb\r\u001b[31mred\u0007\u0000\u007f\u009b2J\u2028z""#
        XCTAssertEqual(text(hostile, [("v", hostile), (hostile, "k")]),
                       "2026-11-25T07:30:00.042Z INFO  \(escaped) v=\(escaped) \(escaped)=k\n")
        let line = text(hostile, [("v", hostile)])
        XCTAssertEqual(line.filter { $0.isNewline }.count, 1)
        XCTAssertFalse(line.unicodeScalars.dropLast().contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, line)
    }

    func testATextMessageWithSpacesStaysUnquotedButOneWithAQuoteIsQuoted() {
        XCTAssertEqual(text("claude login started"), "2026-11-25T07:30:00.042Z INFO  claude login started\n")
        XCTAssertEqual(text(#"PORT="abc" is invalid"#), #"2026-11-25T07:30:00.042Z INFO  "PORT=\"abc\" is invalid""# + "\n")
        XCTAssertEqual(text(""), #"2026-11-25T07:30:00.042Z INFO  """# + "\n")
    }
}
