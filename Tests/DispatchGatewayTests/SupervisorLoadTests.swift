import Foundation
import XCTest
@testable import DispatchGateway

final class SupervisorLoadTests: XCTestCase {
    func testTwentySessionsStreamAtOnceWithoutCrossTalkOrLoss() throws {
        let harness = try SupervisorHarness()
        let lines = 20_000
        let sessions = try (0..<20).map { index in
            try harness.create(["/usr/bin/seq", "-f", "s\(index)-%g", "1", "\(lines)"])
        }
        for session in sessions { harness.waitForStatus(session.id, .stopped, timeout: 60) }
        for (index, session) in sessions.enumerated() {
            let received = harness.output(session.id).components(separatedBy: "\r\n").filter { !$0.isEmpty }
            XCTAssertEqual(received.count, lines, "session \(index)")
            XCTAssertEqual(received, (1...lines).map { "s\(index)-\($0)" }, "session \(index)")
        }
    }

    func testAPausedSessionBlocksItsProgramWithBoundedMemory() throws {
        let window: UInt32 = 64 * 1024
        let harness = try SupervisorHarness { $0.window = window }
        let session = try harness.create(["/bin/sh", "-c", "sleep 0.3; yes 'flood of output'"])
        try harness.onLoop { try $0.setPaused(session.id, true) }
        harness.wait(timeout: 5, "first output") { !harness.output(session.id).isEmpty }
        Thread.sleep(forTimeInterval: 1)
        let held = harness.output(session.id).utf8.count
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(harness.output(session.id).utf8.count, held, "nothing flows while paused")
        // What arrived is at most the window plus the one frame that crossed it.
        XCTAssertLessThanOrEqual(held, Int(window) + 64 * 1024)
        let worker = try XCTUnwrap(harness.info(session.id)?.workerPid)
        XCTAssertLessThan(try residentKilobytes(worker), 20_000, "the worker does not buffer the flood")

        try harness.onLoop { try $0.setPaused(session.id, false) }
        harness.wait(timeout: 5, "output resumes") { harness.output(session.id).utf8.count > held + 1_000_000 }
        try harness.onLoop { try $0.close(session.id) }
        harness.waitForStatus(session.id, .stopped)
    }

    func testShutdownEndsEveryWorkerAndProgram() throws {
        let harness = try SupervisorHarness()
        let sessions = try (0..<3).map { _ in try harness.create(["/bin/bash", "--norc", "--noprofile", "-i"]) }
        for session in sessions { harness.waitForStatus(session.id, .running) }
        let pids = sessions.flatMap { session in
            [harness.info(session.id)?.workerPid, harness.info(session.id)?.programPid].compactMap { $0 }
        }
        XCTAssertEqual(pids.count, 6)
        harness.shutdown()
        harness.wait(timeout: 5, "every process gone") { pids.allSatisfy { !isAlive($0) } }
        for session in sessions { XCTAssertEqual(harness.info(session.id)?.status, .stopped) }
    }

    func testBadRequestsAreClearErrors() throws {
        let harness = try SupervisorHarness()
        XCTAssertThrowsError(try harness.input("nope", "x")) { XCTAssertEqual($0 as? SupervisorError, .unknownSession("nope")) }
        let done = try harness.create(["/bin/true"])
        harness.waitForStatus(done.id, .stopped)
        XCTAssertThrowsError(try harness.input(done.id, "x")) { XCTAssertEqual($0 as? SupervisorError, .notRunning(done.id)) }
        for (cols, rows) in [(0, 0), (10_000, 10_000), (80, 0), (-1, 24)] {
            XCTAssertThrowsError(try harness.onLoop { try $0.resize(done.id, cols: cols, rows: rows) }) {
                XCTAssertEqual($0 as? SupervisorError, .invalidSize(cols: cols, rows: rows))
            }
        }
        XCTAssertThrowsError(try harness.create(["/bin/sh"], cols: 0, rows: 24))
    }
}

/// Alive and not a zombie waiting to be reaped.
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    guard let close = stat.lastIndex(of: ")") else { return false }
    return !stat[close...].hasPrefix(") Z")
}

func residentKilobytes(_ pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}
