import DispatchPosix
import Foundation
import XCTest
@testable import DispatchGateway

/// Workers that outlive their supervisor: released by one, adopted by the next; and the lifeline.
final class AdoptionTests: XCTestCase {
    private let shell = ["/bin/bash", "--norc", "--noprofile", "-i"]

    /// A supervisor running one shell that has printed `before-42`: (harness, session, worker pid, shell pid).
    private func runningShell() throws -> (SupervisorHarness, SessionInfo, pid_t, pid_t) {
        let first = try SupervisorHarness()
        let session = try first.create(shell)
        first.waitForStatus(session.id, .running)
        try first.input(session.id, "echo before-$((6*7))\r")
        first.waitForOutput(session.id, containing: "before-42")
        return (first, session, try XCTUnwrap(first.info(session.id)?.workerPid), try XCTUnwrap(first.info(session.id)?.programPid))
    }

    /// A second supervisor on the released `first`'s runtime folder, adopting `session` as a gateway would from its store.
    private func adoptedBySecond(_ first: SupervisorHarness, _ session: SessionInfo) throws -> SupervisorHarness {
        let before = first.events(session.id)
        let second = try SupervisorHarness(folder: first.folder)
        let spec = SessionSpec(directory: first.folder, command: shell, environment: SupervisorHarness.environment)
        let (id, lastSeq, workerSeq) = (session.id, before.last?.seq ?? 0, before.compactMap(\.workerSeq).last ?? 0)
        XCTAssertEqual(try second.onLoop {
            $0.adopt([AdoptionCandidate(id: id, spec: spec, adapter: nil, lastSeq: lastSeq, workerSeq: workerSeq, restarts: 0)])
        }, [session.id])
        return second
    }

    func testReleasedWorkersAreAdoptedByTheNextSupervisorWithoutGapOrDuplicate() throws {
        let (first, session, workerPid, programPid) = try runningShell()
        // Printed while no supervisor is there to take it.
        try first.input(session.id, "sleep 0.5; echo during-$((6*7))\r")
        first.release()
        let before = first.events(session.id)

        let second = try adoptedBySecond(first, session)
        second.waitForStatus(session.id, .running)
        second.waitForOutput(session.id, containing: "during-42")
        XCTAssertEqual(second.info(session.id)?.workerPid, workerPid)
        XCTAssertEqual(second.info(session.id)?.programPid, programPid)
        try second.input(session.id, "echo after-$((6*7))\r")
        second.waitForOutput(session.id, containing: "after-42")

        let after = second.events(session.id)
        XCTAssertEqual((before + after).map(\.seq), Array(1...UInt64(before.count + after.count)))
        let whole = first.output(session.id) + second.output(session.id)
        XCTAssertEqual(whole.components(separatedBy: "during-42").count, 2, "printed once: \(whole.debugDescription)")
        guard case .status(let change) = after.first?.body else { return XCTFail("\(after.first as Any)") }
        XCTAssertEqual(change, StatusChange(kind: .started, restarts: 0, adopted: true))
    }

    func testAProgramThatEndsWhileNoSupervisorRunsIsReportedToTheNextOne() throws {
        let (first, session, workerPid, _) = try runningShell()
        try first.input(session.id, "sleep 0.3; echo bye; exit 5\r")
        first.release()
        // The worker keeps the exit for the next gateway rather than ending.
        Thread.sleep(forTimeInterval: 0.8)
        XCTAssertEqual(kill(workerPid, 0), 0, "the worker waits with its program's exit")

        let second = try adoptedBySecond(first, session)
        second.waitForStatus(session.id, .stopped)
        XCTAssertTrue(second.output(session.id).contains("bye"))
        XCTAssertEqual(second.events(session.id).last.map { $0.body }, .status(StatusChange(kind: .stopped, restarts: 0, detail: "program exited with status 5")))
        XCTAssertTrue(second.events(session.id).contains { $0.body == .exit(.exited(code: 5)) })
        second.wait(timeout: 10, "the worker to exit once its exit was taken") { kill(workerPid, 0) != 0 || isZombie(workerPid) }
    }

    func testAWorkerTheNextSupervisorDoesNotKnowEndsItsProgram() throws {
        let (first, session, workerPid, programPid) = try runningShell()
        first.release()
        let second = try SupervisorHarness(folder: first.folder)
        XCTAssertEqual(try second.onLoop { $0.adopt([]) }, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: first.folder + "/run/workers/\(session.id).json"), "identity forgotten")
        second.wait(timeout: 10, "the refused worker and its shell to end") {
            (kill(workerPid, 0) != 0 || isZombie(workerPid)) && kill(programPid, 0) != 0
        }
    }

    func testAnIdentityWhoseWorkerIsGoneRestartsTheSession() throws {
        let (first, session, workerPid, _) = try runningShell()
        first.release()
        kill(workerPid, SIGKILL)
        var status: Int32 = 0
        waitpid(workerPid, &status, 0)  // our child: reaped here so that its pid is really gone

        let second = try SupervisorHarness(folder: first.folder)
        let spec = SessionSpec(directory: first.folder, command: shell, environment: SupervisorHarness.environment)
        let id = session.id
        XCTAssertEqual(try second.onLoop {
            $0.adopt([AdoptionCandidate(id: id, spec: spec, adapter: nil, lastSeq: 7, workerSeq: 3, restarts: 2),
                      AdoptionCandidate(id: "never-had-a-worker", spec: spec, adapter: nil, lastSeq: 1, workerSeq: 0, restarts: 0)])
        }, [session.id])
        second.waitForStatus(session.id, .running)
        XCTAssertEqual(second.statuses(session.id), [.crashed, .restarted])
        XCTAssertEqual(second.events(session.id).prefix(2).map(\.seq), [8, 9])
        XCTAssertEqual(second.events(session.id).first?.workerSeq, 0, "the next worker numbers from 1 again")
        XCTAssertEqual(second.info(session.id)?.restarts, 3)
        XCTAssertNotEqual(second.info(session.id)?.workerPid, workerPid)
    }

    func testClosingTheLifelineEndsEverySession() throws {
        let pipe = try FileDescriptor.pipe()
        let harness = try SupervisorHarness { $0.lifeline = pipe.read.raw }
        let sessions = try (0..<2).map { _ in try harness.create(shell) }
        for session in sessions { harness.waitForStatus(session.id, .running) }
        let workers = sessions.compactMap { harness.info($0.id)?.workerPid }
        XCTAssertEqual(workers.count, 2)
        pipe.write.close()
        for session in sessions {
            harness.waitForStatus(session.id, .stopped)
            XCTAssertEqual(harness.statuses(session.id), [.started, .stopped])
        }
        harness.wait(timeout: 10, "the workers to exit") { workers.allSatisfy { kill($0, 0) != 0 } }
        withExtendedLifetime(pipe.read) {}
    }
}

/// The released worker stays our child (the test process spawned it) but nobody reaps it any more.
private func isZombie(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
}
