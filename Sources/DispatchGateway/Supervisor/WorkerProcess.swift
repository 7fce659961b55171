import DispatchPosix
import DispatchTransport
import DispatchWire
import Glibc

/// One spawned dispatch-worker: its pid, the secret it must present, its exit watch, and (once it
/// has said hello) its connection and heartbeat. Loop-confined; owned by its session.
final class WorkerProcess {
    let pid: pid_t
    let secret: [UInt8]
    let startedAt: ContinuousClock.Instant
    private let loop: EventLoop
    private let exitNotifier: FileDescriptor
    private var exitRegistration: EventLoop.Registration?
    private var heartbeatTimer: EventLoop.Timer?
    private var helloTimer: EventLoop.Timer?
    private(set) var link: FramedConnection?
    var heartbeat: HeartbeatMonitor?
    var programPid: Int32 = 0
    /// The terminal size on the worker's command line.
    var spawnedSize: (cols: UInt16, rows: UInt16) = (0, 0)
    /// The last output/event/exit seq received from this worker, and the last one acknowledged to it.
    var lastReceived: UInt64 = 0
    var lastAcknowledged: UInt64 = 0
    /// The last worker seq whose event is stored, and which session event each unstored worker seq became.
    private(set) var lastStored: UInt64 = 0
    private var unstored: [(eventSeq: UInt64, workerSeq: UInt64)] = []
    private var storedThroughEvent: UInt64 = 0
    private var unstoredHead = 0
    /// Set once the worker reported its program's exit or a fatal error: its death is then expected.
    var reportedEnd = false
    private let onExit: (ChildExit) -> Void

    /// Spawns the worker, hands it `secret` (and the program's private environment) on stdin, and calls `onExit` with its status once reaped.
    init(executable: String, arguments: [String], environment: [String], privateEnvironment: [String] = [], directory: String,
         loop: EventLoop, onExit: @escaping (ChildExit) -> Void) throws(SystemError) {
        secret = Randomness.bytes(32)
        self.loop = loop
        self.onExit = onExit
        let pipe = try FileDescriptor.pipe()
        let command = Command(executable: executable, arguments: arguments, environment: environment, directory: directory)
        // The worker leads its own session: a ^C or hang-up aimed at the gateway's terminal or group
        // does not reach it, and the gateway can address it as a group.
        pid = try Spawn.process(command, stdin: pipe.read.raw, stdout: -1, stderr: 2, newSession: true)
        pipe.read.close()
        let handover = Array(([Hex.encode(secret)] + privateEnvironment.filter { !$0.contains("\n") }).map { $0 + "\n" }.joined().utf8)
        _ = handover.withUnsafeBytes { try? pipe.write.write($0) }
        pipe.write.close()
        startedAt = .now
        exitNotifier = try Processes.exitNotifier(for: pid)
        let pid = self.pid
        exitRegistration = try loop.register(exitNotifier.raw, for: .readable) { [unowned self] _ in
            if let status = Processes.reap(pid) { reaped(status) }
        }
    }

    deinit { stopWatching() }

    /// Worker seq `workerSeq` was emitted as session event `eventSeq`.
    func emitted(eventSeq: UInt64, workerSeq: UInt64) {
        // A message that became no new event (part of a line still being put together) is as good as
        // stored once everything before it is: otherwise a line longer than the window would never be acked.
        if unstoredHead == unstored.count, eventSeq <= storedThroughEvent {
            lastStored = workerSeq
            return
        }
        unstored.append((eventSeq, workerSeq))
    }

    func markStored(throughEvent seq: UInt64) {
        storedThroughEvent = max(storedThroughEvent, seq)
        while unstoredHead < unstored.count, unstored[unstoredHead].eventSeq <= seq {
            lastStored = unstored[unstoredHead].workerSeq
            unstoredHead += 1
        }
        if unstoredHead > 1024 {
            unstored.removeFirst(unstoredHead)
            unstoredHead = 0
        }
    }

    /// For a subreaper that reaped this worker through waitpid(-1) before its pidfd fired.
    func reaped(_ status: ChildExit) {
        guard exitRegistration != nil else { return }
        stopWatching()
        link?.close()
        onExit(status)
    }

    private func stopWatching() {
        if let exitRegistration { loop.deregister(exitRegistration, fd: exitNotifier.raw) }
        exitRegistration = nil
        for timer in [heartbeatTimer, helloTimer].compactMap({ $0 }) { loop.cancel(timer) }
        heartbeatTimer = nil
        helloTimer = nil
    }

    var isRunning: Bool { exitRegistration != nil }

    func kill() {
        Processes.signal(pid, SIGKILL)
    }

    /// Kills the worker if it has not said hello by `deadline` (it hung or never connected).
    func expectHello(within timeout: Duration, onTimeout: @escaping () -> Void) {
        helloTimer = loop.schedule(after: timeout) { [weak self] in
            guard let self, link == nil else { return }
            helloTimer = nil
            onTimeout()
        }
    }

    func attach(_ link: FramedConnection, heartbeat: HeartbeatMonitor, onDead: @escaping () -> Void) {
        self.link = link
        self.heartbeat = heartbeat
        if let helloTimer { loop.cancel(helloTimer) }
        helloTimer = nil
        scheduleHeartbeat(onDead: onDead)
    }

    private func scheduleHeartbeat(onDead: @escaping () -> Void) {
        guard let deadline = heartbeat?.nextDeadline else { return }
        heartbeatTimer = loop.schedule(at: deadline) { [weak self] in
            guard let self, isRunning else { return }
            heartbeatTimer = nil
            switch heartbeat?.tick(now: .now) {
            case .sendPing(let nonce):
                link?.send(.ping(nonce: nonce))
            case .declareDead:
                return onDead()
            case .some(.none), nil:
                break
            }
            scheduleHeartbeat(onDead: onDead)
        }
    }
}
