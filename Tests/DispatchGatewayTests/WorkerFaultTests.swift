import DispatchPosix
import DispatchWire
import Foundation
import XCTest
@testable import DispatchGateway

/// Workers that die, hang or misbehave: each is dropped and restarted, and other sessions go on.
final class WorkerFaultTests: XCTestCase {
    static let rogueWorker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/rogue-worker").path

    func testKilledWorkerIsRestartedWithTheSameIdAndAGaplessSequence() throws {
        let harness = try SupervisorHarness()
        let session = try harness.create(["/bin/bash", "--norc", "--noprofile", "-i"])
        harness.waitForStatus(session.id, .running)
        try harness.input(session.id, "echo before-$((6*7))\r")
        harness.waitForOutput(session.id, containing: "before-42")
        let firstWorker = try XCTUnwrap(harness.info(session.id)?.workerPid)

        kill(firstWorker, SIGKILL)
        let killedAt = Date()
        harness.wait(timeout: 5, "restart") { harness.statuses(session.id).contains(.restarted) && harness.info(session.id)?.status == .running }
        XCTAssertLessThan(Date().timeIntervalSince(killedAt), 1.0, "restarted within a second")
        XCTAssertEqual(harness.statuses(session.id), [.started, .crashed, .restarted])
        let info = try XCTUnwrap(harness.info(session.id))
        XCTAssertEqual(info.id, session.id)
        XCTAssertEqual(info.restarts, 1)
        XCTAssertNotEqual(info.workerPid, firstWorker)

        try harness.input(session.id, "echo after-$((6*7))\r")
        harness.waitForOutput(session.id, containing: "after-42")
        let seqs = harness.events(session.id).map(\.seq)
        XCTAssertEqual(seqs, Array(1...UInt64(seqs.count)))
    }

    func testGarbageOversizedFramesAndSequenceGapsGetTheWorkerDroppedWhileOthersStream() throws {
        let harness = try SupervisorHarness { $0.workerExecutable = Self.rogueWorker }
        let healthy = try harness.create(["/bin/sh", "-c", "i=0; while [ $i -lt 40 ]; do echo tick-$i; i=$((i+1)); sleep 0.05; done"])
        let rogues = try ["rogue:garbage", "rogue:oversized", "rogue:gap"].map { try harness.create([$0]) }
        for rogue in rogues {
            harness.wait(timeout: 5, "\(rogue.id) dropped and restarted") { harness.statuses(rogue.id).contains(.restarted) }
            XCTAssertTrue(harness.output(rogue.id).contains("rogue says hi"))
        }
        harness.waitForStatus(healthy.id, .stopped)
        let ticks = harness.output(healthy.id).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        XCTAssertEqual(ticks, (0..<40).map { "tick-\($0)" })
    }

    func testRestartIntensityLimitPutsTheSessionInError() throws {
        let harness = try SupervisorHarness {
            $0.workerExecutable = Self.rogueWorker
            $0.restart = RestartPolicy.Settings(initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(40), maxRestarts: 3, window: .seconds(60))
        }
        let rogue = try harness.create(["rogue:garbage"])
        harness.waitForStatus(rogue.id, .error)
        XCTAssertEqual(harness.statuses(rogue.id), [.started, .crashed, .restarted, .crashed, .restarted, .crashed, .restarted, .error])
        XCTAssertEqual(harness.info(rogue.id)?.restarts, 3)
        XCTAssertTrue(harness.info(rogue.id)?.detail?.contains("gave up after 3 restarts") == true)
        XCTAssertThrowsError(try harness.input(rogue.id, "x")) { XCTAssertEqual($0 as? SupervisorError, .notRunning(rogue.id)) }
    }

    func testAHungWorkerMissesHeartbeatsAndIsRestarted() throws {
        let harness = try SupervisorHarness {
            $0.heartbeatInterval = .milliseconds(100)
            $0.heartbeatMisses = 2
        }
        let session = try harness.create(["/bin/bash", "--norc", "--noprofile", "-i"])
        harness.waitForStatus(session.id, .running)
        let worker = try XCTUnwrap(harness.info(session.id)?.workerPid)
        kill(worker, SIGSTOP)
        harness.wait(timeout: 5, "heartbeat restart") { harness.statuses(session.id).contains(.restarted) }
        XCTAssertTrue(harness.events(session.id).contains {
            if case .status(let change) = $0.body { change.kind == .crashed && change.detail == "worker killed by signal 9" } else { false }
        })
        try harness.input(session.id, "echo alive-again\r")
        harness.waitForOutput(session.id, containing: "alive-again")
    }

    func testAConnectionWithoutTheSecretIsRefusedAndTheSessionGoesOn() throws {
        let harness = try SupervisorHarness()
        let session = try harness.create(["/bin/bash", "--norc", "--noprofile", "-i"])
        harness.waitForStatus(session.id, .running)
        let socket = try UnixSocket.connect(to: harness.folder + "/run/workers.sock")
        let impostor = WireCodec.encode(.hello(Hello(sessionId: session.id, secret: Array(repeating: 7, count: 32), programPid: 1, lastSeq: 0)))
        _ = try impostor.withUnsafeBytes { try socket.write($0) }
        var reply = [UInt8](repeating: 0, count: 512)
        var received: [UInt8] = []
        while true {
            let n = try reply.withUnsafeMutableBytes { try socket.read(into: $0) } ?? 0
            if n == 0 { break }
            received += reply[0..<n]
        }
        var decoder = FrameDecoder()
        decoder.append(received)
        XCTAssertEqual(try decoder.next(), .close(reason: "unknown session or bad secret"))
        try harness.input(session.id, "echo still-mine\r")
        harness.waitForOutput(session.id, containing: "still-mine")
        XCTAssertEqual(harness.info(session.id)?.restarts, 0)
    }
}

