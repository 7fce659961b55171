import DispatchPosix
import Foundation
import XCTest
@testable import DispatchGateway

/// A supervisor on its own loop thread, with real dispatch-worker processes, and a record of every
/// event it emitted. Tests call it from their own thread; `onLoop` hops onto the loop.
final class SupervisorHarness: @unchecked Sendable {
    let loop: EventLoop
    let supervisor: Supervisor
    let folder: String
    private let thread: Thread
    private let log = EventLog()
    private let lock = NSLock()
    private var stopped = false
    private let ownsFolder: Bool

    static var builtProducts: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    static var workerBinary: String { builtProducts + "/dispatch-worker" }

    /// Environment for test sessions: the allow-list applied to ours plus a fake secret that must never
    /// arrive, and where the real worker is, for the rogue worker fixture that stands in for it.
    static var environment: [String] {
        WorkerEnvironment.build(from: ProcessInfo.processInfo.environment.map { "\($0)=\($1)" } + ["TERMINAL_KEY=do-not-leak-this"])
            + ["DISPATCH_REAL_WORKER=\(workerBinary)"]
    }

    /// `folder`: another harness's, to share its runtime folder (a gateway restart); the first one removes it.
    init(folder shared: String? = nil, configure: (inout Supervisor.Settings) -> Void = { _ in }) throws {
        folder = try shared ?? TemporaryFolder.make()
        ownsFolder = shared == nil
        var settings = Supervisor.Settings(runtimeDirectory: folder + "/run", workerExecutable: Self.workerBinary)
        configure(&settings)
        let loop = try EventLoop()
        self.loop = loop
        supervisor = try Supervisor(settings: settings, loop: loop)
        thread = Thread { loop.run() }
        thread.name = "supervisor-loop"
        supervisor.onEvent = { [log] id, event in log.append(id, event) }
        thread.start()
    }

    deinit {
        shutdown()
        if ownsFolder { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// Runs `body` on the loop thread and waits for its result.
    /// After `shutdown` the loop thread is gone, so the body runs right here.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable (Supervisor) throws -> T) throws -> T {
        if lock.withLock({ stopped }) { return try body(supervisor) }
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let supervisor = self.supervisor
        loop.execute {
            box.result = Result { try body(supervisor) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    func create(_ command: [String], directory: String? = nil, cols: UInt16 = 80, rows: UInt16 = 24) throws -> SessionInfo {
        let spec = SessionSpec(directory: directory ?? folder, command: command, cols: cols, rows: rows, environment: Self.environment)
        return try onLoop { try $0.create(spec) }
    }

    func info(_ id: String) -> SessionInfo? {
        try? onLoop { $0.info(id) }
    }

    func input(_ id: String, _ text: String) throws {
        try onLoop { try $0.input(id, Array(text.utf8)) }
    }

    func events(_ id: String) -> [SessionEvent] {
        log.events(id)
    }

    func output(_ id: String) -> String {
        events(id).compactMap { if case .output(let text) = $0.body { text } else { nil } }.joined()
    }

    func statuses(_ id: String) -> [StatusChange.Kind] {
        events(id).compactMap { if case .status(let change) = $0.body { change.kind } else { nil } }
    }

    @discardableResult
    func wait(timeout: TimeInterval = 10, _ what: String = "condition", file: StaticString = #filePath, line: UInt = #line,
              until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTFail("timed out waiting for \(what)", file: file, line: line)
        return false
    }

    func waitForOutput(_ id: String, containing text: String, timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line) {
        wait(timeout: timeout, "output containing \(text.debugDescription); got \(output(id).suffix(300).debugDescription)",
             file: file, line: line) { output(id).contains(text) }
    }

    func waitForStatus(_ id: String, _ status: SessionStatus, timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line) {
        wait(timeout: timeout, "status \(status); now \(String(describing: info(id)))", file: file, line: line) { info(id)?.status == status }
    }

    /// A restart that keeps sessions: the workers go on without this supervisor, whose loop ends.
    func release() {
        guard lock.withLock({ !stopped }) else { return }
        let loop = self.loop
        let supervisor = self.supervisor
        loop.execute {
            supervisor.releaseWorkers()
            loop.stop()
        }
        while thread.isExecuting || !thread.isFinished { Thread.sleep(forTimeInterval: 0.005) }
        lock.withLock { stopped = true }
    }

    /// Ends every session and the loop; idempotent.
    func shutdown() {
        guard lock.withLock({ !stopped }) else { return }
        let done = DispatchSemaphore(value: 0)
        let loop = self.loop
        let supervisor = self.supervisor
        loop.execute {
            supervisor.shutdown {
                loop.stop()
                done.signal()
            }
        }
        if done.wait(timeout: .now() + 15) == .timedOut {
            XCTFail("supervisor shutdown did not finish")
        }
        while thread.isExecuting { Thread.sleep(forTimeInterval: 0.005) }
        lock.withLock { stopped = true }
    }
}

/// Events as the supervisor emitted them; written on the loop thread, read by the test.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [String: [SessionEvent]] = [:]

    func append(_ id: String, _ event: SessionEvent) {
        lock.withLock { events[id, default: []].append(event) }
    }

    func events(_ id: String) -> [SessionEvent] {
        lock.withLock { events[id] ?? [] }
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

enum TemporaryFolder {
    /// A short path: Unix socket paths must fit in 108 bytes.
    static func make() throws -> String {
        var template = Array("/tmp/dsp-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        return String(cString: made)
    }
}
