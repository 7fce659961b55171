import DispatchWire
import Foundation
import XCTest
@testable import DispatchGateway

/// What a user sees of their program through the supervisor and a real worker.
final class SessionProgramTests: XCTestCase {
    func testProgramRunsOnItsOwnTerminalInTheWorkspaceWithACleanEnvironment() throws {
        let harness = try SupervisorHarness()
        let workspace = harness.folder + "/ws"
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        let script = "tty; pwd; stty size; echo TERM=$TERM; echo leaked=$(env | grep -c do-not-leak); ps -o sid= -p $$; echo pid=$$"
        let session = try harness.create(["/bin/sh", "-c", script], directory: workspace, cols: 91, rows: 33)
        harness.waitForStatus(session.id, .stopped)
        let lines = harness.output(session.id).components(separatedBy: "\r\n")
        XCTAssertTrue(lines[0].hasPrefix("/dev/pts/"), lines[0])
        XCTAssertEqual(lines[1], workspace)
        XCTAssertEqual(lines[2], "33 91")
        XCTAssertEqual(lines[3], "TERM=xterm-256color")
        XCTAssertEqual(lines[4], "leaked=0")
        // Session leader: its session id is its own pid.
        XCTAssertEqual(lines[5].trimmingCharacters(in: .whitespaces), lines[6].replacingOccurrences(of: "pid=", with: ""))
    }

    func testExitStatusStopsTheSessionWithoutRestart() throws {
        let harness = try SupervisorHarness()
        let session = try harness.create(["/bin/sh", "-c", "echo bye; exit 3"])
        harness.waitForStatus(session.id, .stopped)
        Thread.sleep(forTimeInterval: 0.3)  // a wrongful restart would show up here
        let events = harness.events(session.id)
        XCTAssertEqual(events.map(\.seq), Array(1...UInt64(events.count)))
        XCTAssertEqual(harness.statuses(session.id), [.started, .stopped])
        XCTAssertTrue(events.contains { $0.body == .exit(.exited(code: 3)) })
        XCTAssertEqual(harness.info(session.id)?.restarts, 0)
        XCTAssertEqual(harness.info(session.id)?.detail, "program exited with status 3")
    }

    func testTypingResizingAndSigwinchReachTheShell() throws {
        let harness = try SupervisorHarness()
        let session = try harness.create(["/bin/bash", "--norc", "--noprofile", "-i"])
        harness.waitForStatus(session.id, .running)
        try harness.input(session.id, "trap 'echo got-winch' WINCH; stty size\r")
        harness.waitForOutput(session.id, containing: "24 80")
        try harness.onLoop { try $0.resize(session.id, cols: 120, rows: 40) }
        harness.waitForOutput(session.id, containing: "got-winch")
        try harness.input(session.id, "stty size\r")
        harness.waitForOutput(session.id, containing: "40 120")
        try harness.input(session.id, "exit 0\r")
        harness.waitForStatus(session.id, .stopped)
    }

    func testJobControlWorks() throws {
        let harness = try SupervisorHarness()
        let session = try harness.create(["/bin/bash", "--norc", "--noprofile", "-i"])
        harness.waitForStatus(session.id, .running)
        try harness.input(session.id, "sleep 100 &\r")
        harness.waitForOutput(session.id, containing: "[1]")
        try harness.input(session.id, "fg\r")
        harness.waitForOutput(session.id, containing: "sleep 100\r\n")
        try harness.input(session.id, "\u{03}")  // Ctrl-C ends the foreground job
        try harness.input(session.id, "echo after-interrupt-$?\r")
        harness.waitForOutput(session.id, containing: "after-interrupt-130")
        try harness.input(session.id, "sleep 200\r")
        Thread.sleep(forTimeInterval: 0.2)
        try harness.input(session.id, "\u{1A}")  // Ctrl-Z stops it
        harness.waitForOutput(session.id, containing: "Stopped")
        try harness.input(session.id, "kill %1; echo jobs-done\r")
        harness.waitForOutput(session.id, containing: "jobs-done")
    }

    func testOutputIsNeverSplitInsideACharacter() throws {
        let harness = try SupervisorHarness()
        // 300 000 multi-byte characters of 2, 3 and 4 bytes, in one stream the pty cuts where it likes.
        let unit = "é€😀"
        let session = try harness.create(["/bin/sh", "-c", "yes '\(unit)' | head -n 100000 | tr -d '\\n'; echo; echo END"])
        harness.waitForStatus(session.id, .stopped, timeout: 30)
        let outputs = harness.events(session.id).compactMap { if case .output(let text) = $0.body { text } else { nil } }
        XCTAssertGreaterThan(outputs.count, 5)
        XCTAssertFalse(outputs.contains { $0.contains("\u{FFFD}") }, "an event ended inside a character")
        XCTAssertEqual(outputs.joined(), String(repeating: unit, count: 100_000) + "\r\nEND\r\n")
    }

    func testMissingProgramAndMissingFolderAreClearErrors() throws {
        let harness = try SupervisorHarness()
        let noShell = try harness.create(["/no/such/shell"])
        let noFolder = try harness.create(["/bin/sh"], directory: harness.folder + "/missing")
        harness.waitForStatus(noShell.id, .error)
        harness.waitForStatus(noFolder.id, .error)
        XCTAssertTrue(harness.info(noShell.id)?.detail?.contains("/no/such/shell: No such file or directory") == true,
                      String(describing: harness.info(noShell.id)?.detail))
        XCTAssertTrue(harness.info(noFolder.id)?.detail?.contains("workspace folder \(harness.folder)/missing") == true,
                      String(describing: harness.info(noFolder.id)?.detail))
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(harness.info(noShell.id)?.restarts, 0, "a session that cannot start is not restarted")
    }
}
