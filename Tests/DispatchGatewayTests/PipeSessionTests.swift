import XCTest
@testable import DispatchGateway

/// A `claude`-kind session runs its program on pipes in a real worker; an adapter turns the output
/// into events. The adapter here only labels bytes, so what is tested is the worker and the supervisor.
final class PipeSessionTests: XCTestCase {
    private final class LabellingAdapter: SessionAdapter {
        let command: [String]
        init(_ command: [String]) { self.command = command }
        func workerStarting() -> (command: [String], events: [SessionEvent.Body]) { (command, []) }
        func output(_ bytes: [UInt8]) -> [SessionEvent.Body] { [.worker(channel: "test:stdout", payload: bytes)] }
        func event(channel: String, payload: [UInt8]) -> [SessionEvent.Body] { [.worker(channel: channel, payload: payload)] }
        func programEnded() -> [SessionEvent.Body] { [.worker(channel: "test:ended", payload: [])] }
    }

    private func start(_ harness: SupervisorHarness, _ script: String, privateEnvironment: [String] = []) throws -> String {
        let spec = SessionSpec(kind: .claude, directory: harness.folder, environment: SupervisorHarness.environment,
                               privateEnvironment: privateEnvironment)
        return try harness.onLoop { try $0.create(spec, adapter: LabellingAdapter(["/bin/sh", "-c", script])).id }
    }

    private func text(_ harness: SupervisorHarness, _ id: String, _ channel: String) -> String {
        harness.events(id).compactMap {
            if case .worker(channel, let payload) = $0.body { String(decoding: payload, as: UTF8.self) } else { nil }
        }.joined()
    }

    func testStdinStdoutStderrAndAPrivateEnvironmentOnlyTheProgramSees() throws {
        let harness = try SupervisorHarness()
        let script = """
            [ -p /dev/stdin ] && [ -p /dev/stdout ] && echo pipes; read line; echo "got:$line"; echo oops >&2
            echo "private=$DISPATCH_TEST_PRIVATE"; echo "in-worker=$(tr '\\0' '\\n' < /proc/$PPID/environ | grep -c DISPATCH_TEST_PRIVATE)"
            echo "worker-argv=$(tr '\\0' ' ' < /proc/$PPID/cmdline | grep -c "s3c""r3t")"
            """
        let id = try start(harness, script, privateEnvironment: ["DISPATCH_TEST_PRIVATE=s3cr3t"])
        try harness.input(id, "hello\n")
        harness.waitForStatus(id, .stopped)
        XCTAssertEqual(text(harness, id, "test:stdout"), "pipes\ngot:hello\nprivate=s3cr3t\nin-worker=0\nworker-argv=0\n")
        XCTAssertEqual(text(harness, id, "claude:stderr"), "oops\n")
        let channels = harness.events(id).map(\.channel)
        XCTAssertEqual(Array(channels.suffix(3)), ["test:ended", "pty:exit", "system:status"], "the end comes out before the exit")
        XCTAssertEqual(harness.events(id).map(\.seq), Array(1...UInt64(channels.count)))
    }

    func testTheLastStderrLineBeforeTheExitIsKept() throws {
        let harness = try SupervisorHarness()
        let id = try start(harness, "echo out; echo last-words >&2; exit 1")
        harness.waitForStatus(id, .stopped)
        XCTAssertEqual(text(harness, id, "test:stdout"), "out\n")
        XCTAssertEqual(text(harness, id, "claude:stderr"), "last-words\n")
    }

    func testClosingEndsTheProgramThroughItsStdin() throws {
        let harness = try SupervisorHarness()
        let id = try start(harness, "cat; echo stdin-closed")
        try harness.input(id, "echoed\n")
        harness.wait(timeout: 10, "the echo") { text(harness, id, "test:stdout").contains("echoed") }
        try harness.onLoop { try $0.close(id) }
        harness.waitForStatus(id, .stopped)
        XCTAssertEqual(text(harness, id, "test:stdout"), "echoed\nstdin-closed\n")
        XCTAssertTrue(harness.events(id).contains { $0.body == .exit(.exited(code: 0)) })
    }

    func testAProgramIgnoringItsClosedStdinIsTerminated() throws {
        let harness = try SupervisorHarness()
        let id = try start(harness, "exec sleep 600")
        harness.waitForStatus(id, .running)
        try harness.onLoop { try $0.close(id) }
        harness.waitForStatus(id, .stopped)
        XCTAssertTrue(harness.events(id).contains { $0.body == .exit(.signaled(signal: SIGTERM)) })
    }
}
