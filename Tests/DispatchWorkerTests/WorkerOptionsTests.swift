@testable import DispatchWorker
import XCTest

final class WorkerOptionsTests: XCTestCase {
    private let required = ["--session", "s-1", "--socket", "/run/d.sock", "--cwd", "/home/u"]

    private func parseError(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> WorkerOptions.ParseError? {
        do {
            let options = try WorkerOptions.parse(arguments)
            XCTFail("parsed \(arguments) as \(options)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testFullCommandLine() throws {
        let options = try WorkerOptions.parse([
            "--kind", "claude", "--cols", "132", "--socket", "/run/d.sock", "--rows", "50",
            "--cwd", "/home/u/project", "--session", "abc",
            "--", "claude", "--resume", "--cols", "9", "--", "-x",
        ])
        XCTAssertEqual(options, WorkerOptions(
            sessionId: "abc", kind: .claude, directory: "/home/u/project", cols: 132, rows: 50,
            socketPath: "/run/d.sock", command: ["claude", "--resume", "--cols", "9", "--", "-x"]
        ))
    }

    func testDefaults() throws {
        let options = try WorkerOptions.parse(required)
        XCTAssertEqual(options.sessionId, "s-1")
        XCTAssertEqual(options.socketPath, "/run/d.sock")
        XCTAssertEqual(options.directory, "/home/u")
        XCTAssertEqual(options.kind, .pty)
        XCTAssertEqual(options.cols, 80)
        XCTAssertEqual(options.rows, 24)
        XCTAssertEqual(options.command, [])
        XCTAssertEqual(try WorkerOptions.parse(required + ["--"]), options)
        XCTAssertEqual(try WorkerOptions.parse(required + ["--kind", "pty"]), options)
    }

    func testDimensionLimits() throws {
        let options = try WorkerOptions.parse(required + ["--cols", "1", "--rows", "65535"])
        XCTAssertEqual(options.cols, 1)
        XCTAssertEqual(options.rows, 65535)
    }

    func testEachMissingRequiredOption() {
        for option in ["--session", "--socket", "--cwd"] {
            var arguments = required
            let index = arguments.firstIndex(of: option)!
            arguments.removeSubrange(index...(index + 1))
            XCTAssertEqual(parseError(arguments), .missing(option))
        }
        XCTAssertEqual(parseError([]), .missing("--session"))
        // Required options after `--` belong to the program.
        XCTAssertEqual(parseError(["--session", "s", "--", "--socket", "x", "--cwd", "/"]), .missing("--socket"))
        // An empty session id is as good as none.
        XCTAssertEqual(parseError(["--session", "", "--socket", "x", "--cwd", "/"]), .missing("--session"))
    }

    func testBadValues() {
        XCTAssertEqual(parseError(required + ["--kind", "shell"]), .badValue(option: "--kind", value: "shell"))
        XCTAssertEqual(parseError(required + ["--kind", "PTY"]), .badValue(option: "--kind", value: "PTY"))
        XCTAssertEqual(parseError(required + ["--cols", "0"]), .badValue(option: "--cols", value: "0"))
        XCTAssertEqual(parseError(required + ["--rows", "70000"]), .badValue(option: "--rows", value: "70000"))
        XCTAssertEqual(parseError(required + ["--rows", "65536"]), .badValue(option: "--rows", value: "65536"))
        XCTAssertEqual(parseError(required + ["--cols", "abc"]), .badValue(option: "--cols", value: "abc"))
        XCTAssertEqual(parseError(required + ["--cols", "-1"]), .badValue(option: "--cols", value: "-1"))
        XCTAssertEqual(parseError(required + ["--rows", ""]), .badValue(option: "--rows", value: ""))
    }

    func testOrphanTimeoutAndLifeline() throws {
        let defaults = try WorkerOptions.parse(required)
        XCTAssertEqual(defaults.orphanTimeout, 3600)
        XCTAssertNil(defaults.lifeline)
        let options = try WorkerOptions.parse(required + ["--orphan-timeout", "2", "--lifeline", "3"])
        XCTAssertEqual(options.orphanTimeout, 2)
        XCTAssertEqual(options.lifeline, 3)
        for bad in ["0", "-5", "x", "", "31536001"] {
            XCTAssertEqual(parseError(required + ["--orphan-timeout", bad]), .badValue(option: "--orphan-timeout", value: bad))
        }
        // The lifeline is never one of the standard streams.
        for bad in ["0", "2", "-1", "fd"] {
            XCTAssertEqual(parseError(required + ["--lifeline", bad]), .badValue(option: "--lifeline", value: bad))
        }
    }

    func testLogFormatIsTheGatewaysJsonOrText() throws {
        XCTAssertEqual(try WorkerOptions.parse(required).logFormat, .json)
        XCTAssertEqual(try WorkerOptions.parse(required + ["--log-format", "text"]).logFormat, .text)
        XCTAssertEqual(try WorkerOptions.parse(required + ["--log-format", "json"]).logFormat, .json)
        XCTAssertEqual(try WorkerOptions.parse(required).logLevel, .info)
        XCTAssertEqual(try WorkerOptions.parse(required + ["--log-level", "warn"]).logLevel, .warn)
        XCTAssertEqual(parseError(required + ["--log-level", "loud"]), .badValue(option: "--log-level", value: "loud"))
        for bad in ["TEXT", "", "logfmt"] {
            XCTAssertEqual(parseError(required + ["--log-format", bad]), .badValue(option: "--log-format", value: bad))
        }
    }

    func testUnknownOption() {
        XCTAssertEqual(parseError(required + ["--verbose", "1"]), .unknown("--verbose"))
        XCTAssertEqual(parseError(["--session=s"] + required), .unknown("--session=s"))
        // A program without `--` is not taken as the command.
        XCTAssertEqual(parseError(required + ["bash"]), .unknown("bash"))
    }

    func testOptionMissingItsValue() {
        for option in ["--session", "--socket", "--cwd", "--kind", "--cols", "--rows"] {
            XCTAssertEqual(parseError(required + [option]), .missing("value for \(option)"))
        }
    }

    func testErrorDescriptions() {
        XCTAssertEqual(WorkerOptions.ParseError.missing("--cwd").description, "missing --cwd")
        XCTAssertEqual(WorkerOptions.ParseError.badValue(option: "--cols", value: "0").description, "bad value for --cols: 0")
        XCTAssertEqual(WorkerOptions.ParseError.unknown("-x").description, "unknown option -x")
    }
}
