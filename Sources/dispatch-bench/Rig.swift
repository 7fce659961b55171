import DispatchGateway
import DispatchPosix
import Glibc

/// The gateway side of every benchmark: a real `Supervisor` with real dispatch-worker processes, on an
/// `EventLoop` that runs on the main thread in bursts. `serve(until:)` runs the loop until an event
/// makes the condition true (or a timeout passes), then the benchmark code continues in plain
/// sequence. One thread means no locks and nothing to prove Sendable, and the loop under test is
/// exactly the gateway's: events are timed in the callback that receives them.
final class Rig {
    let loop: EventLoop
    let supervisor: Supervisor
    let folder: String
    /// What sessions (and the raw-pty producers, for a fair comparison) run with.
    let environment: [String]
    /// Every event of every session, as the supervisor emits it.
    var onEvent: (String, SessionEvent) -> Void = { _, _ in }
    private var stopWhen: () -> Bool = { false }

    init() throws(BenchError) {
        let worker = Self.workerExecutable()
        guard access(worker, X_OK) == 0 else {
            throw BenchError("no dispatch-worker at \(worker): build every product first (swift build -c release)")
        }
        folder = try makeTemporaryFolder()
        environment = WorkerEnvironment.build(from: ProcessEnvironment.current())
        do {
            loop = try EventLoop()
            var settings = Supervisor.Settings(runtimeDirectory: folder + "/run", workerExecutable: worker)
            // Stopped sessions are never removed from a supervisor and still count against the
            // limit, so a long run (many samples or runs) would hit it; the bench is not about limits.
            settings.maxSessions = .max
            supervisor = try Supervisor(settings: settings, loop: loop)
        } catch {
            throw BenchError("cannot start the supervisor: \(error)")
        }
        supervisor.onEvent = { [unowned self] id, event in
            onEvent(id, event)
            if stopWhen() { loop.stop() }
        }
        // A reaped worker changes a session without an event.
        supervisor.onSessionChanged = { [unowned self] _ in
            if stopWhen() { loop.stop() }
        }
    }

    /// The worker ships next to the binary that supervises it, as GatewayConfig.siblingExecutable
    /// does (that one is internal); DISPATCH_WORKER_BIN overrides, as for the gateway.
    static func workerExecutable() -> String {
        if let override = getenv("DISPATCH_WORKER_BIN") { return String(cString: override) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "dispatch-worker" }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[...(path.lastIndex(of: "/") ?? path.startIndex)]) + "dispatch-worker"
    }

    func spec(_ command: [String]) -> SessionSpec {
        SessionSpec(directory: folder, command: command, environment: environment)
    }

    func create(_ command: [String]) throws(BenchError) -> SessionInfo {
        do { return try supervisor.create(spec(command)) } catch { throw BenchError("create: \(error)") }
    }

    /// Serves events until `condition` holds after one of them (or after a session change), or until
    /// `timeout`; false on timeout.
    @discardableResult
    func serve(timeout: Duration, until condition: @escaping () -> Bool) -> Bool {
        if condition() { return true }
        stopWhen = condition
        var timedOut = false
        let timer = loop.schedule(after: timeout) { [loop] in
            timedOut = true
            loop.stop()
        }
        loop.run()
        loop.cancel(timer)
        stopWhen = { false }
        return !timedOut || condition()
    }

    /// Lets the loop (heartbeats, acks, settling workers) run for a while.
    func idle(_ duration: Duration) {
        serve(timeout: duration) { false }
    }

    /// Ends every session and waits for the workers to be reaped, then removes the folder.
    func shutdown() {
        var done = false
        supervisor.shutdown { [loop] in
            done = true
            loop.stop()
        }
        if !done { serve(timeout: .seconds(30)) { done } }
        // The supervisor unlinks its socket only when it is deinitialised, after this; unlink now
        // so that the folder can go (a second unlink later is harmless).
        unlink(folder + "/run/workers.sock")
        rmdir(folder + "/run")
        rmdir(folder)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A short path: the worker socket inside it must fit in sockaddr_un's 108 bytes.
func makeTemporaryFolder() throws(BenchError) -> String {
    var template = Array("/tmp/dspb-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp failed") }
    return String(cString: made)
}
