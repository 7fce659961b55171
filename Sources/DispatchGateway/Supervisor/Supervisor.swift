import DispatchPosix
import DispatchTransport
import DispatchWire
import Glibc

/// Runs each session in a dispatch-worker process, relays its input and output, and keeps it alive:
/// a worker that dies is restarted with backoff, a program that ends stops its session. Workers
/// connect to the supervisor's socket in a private runtime folder (so a restarted gateway can be
/// found again) and prove who they are with the secret they were given at spawn.
///
/// Loop-confined: call it on its loop's thread (`loop.execute` from elsewhere). That is the
/// invariant behind `@unchecked Sendable`.
public final class Supervisor: @unchecked Sendable {
    public struct Settings: Sendable {
        /// A folder only this user can enter; the worker socket lives in it.
        public var runtimeDirectory: String
        public var workerExecutable: String
        public var maxSessions = 200
        /// Output bytes a worker may send ahead of acknowledgements. Small enough that ^C in a flood stops
        /// the output quickly (the pty drops what is unread), large enough to keep the relay at full speed
        /// with one store flush per loop turn.
        public var window: UInt32 = 256 * 1024
        public var heartbeatInterval: Duration = .seconds(5)
        public var heartbeatMisses = 3
        public var helloTimeout: Duration = .seconds(5)
        public var restart = RestartPolicy.Settings()
        /// How long a shutdown waits for programs to end after hanging them up, before killing.
        public var shutdownGrace: Duration = .seconds(3)
        /// When set, a worker is acknowledged only for events the owner reported stored (`stored(_:through:)`),
        /// so a gateway crash loses nothing the worker still holds.
        public var acknowledgeOnlyStored = false
        /// How long a worker keeps its program while no gateway is connected (told to it at spawn).
        public var orphanTimeoutSeconds = 3600
        /// How long an adopted session waits for its worker to reconnect before it counts as dead.
        public var adoptionTimeout: Duration = .seconds(10)
        /// A pipe read end every worker inherits: its end of file (the service manager let go of the
        /// write end: the service is stopping for good) ends every session. The owner keeps it open.
        public var lifeline: Int32?

        public init(runtimeDirectory: String, workerExecutable: String) {
            self.runtimeDirectory = runtimeDirectory
            self.workerExecutable = workerExecutable
        }

        public var socketPath: String { runtimeDirectory + "/workers.sock" }
    }

    let settings: Settings
    let loop: EventLoop
    var sessions: [String: SupervisedSession] = [:]
    var order: [String] = []
    var unidentified: [ObjectIdentifier: FramedConnection] = [:]
    var shutdownCompletion: (() -> Void)?
    let listener: FileDescriptor
    let identities: WorkerIdentityFiles
    private var listenerRegistration: EventLoop.Registration?

    /// Every event of every session, in order per session.
    public var onEvent: (String, SessionEvent) -> Void = { _, _ in }
    /// A session's status, restarts or worker changed.
    public var onSessionChanged: (SessionInfo) -> Void = { _ in }

    public init(settings: Settings, loop: EventLoop) throws(SystemError) {
        self.settings = settings
        self.loop = loop
        try Self.makePrivateDirectory(settings.runtimeDirectory)
        identities = try WorkerIdentityFiles(runtimeDirectory: settings.runtimeDirectory)
        listener = try UnixSocket.listen(at: settings.socketPath)
        listenerRegistration = try loop.register(listener.raw, for: .readable) { [unowned self] _ in acceptWorkers() }
    }

    deinit {
        stopListening()
    }

    /// Once only: after a restart that keeps sessions the path may already be the next gateway's.
    func stopListening() {
        guard let listenerRegistration else { return }
        loop.deregister(listenerRegistration, fd: listener.raw)
        self.listenerRegistration = nil
        listener.close()
        unlink(settings.socketPath)
    }

    // MARK: the API the front calls

    public var isShuttingDown: Bool { shutdownCompletion != nil }

    public func list() -> [SessionInfo] {
        order.compactMap { sessions[$0]?.info }
    }

    public func info(_ id: String) -> SessionInfo? {
        sessions[id]?.info
    }

    /// Starts a session; `id` is for callers that record the session under its id before it starts.
    /// A session started again under a known id (reopened, or after a gateway restart) continues its
    /// event numbering after `lastSeq`.
    public func create(_ spec: SessionSpec, id: String = Secrets.sessionID(), continuingAfter lastSeq: UInt64 = 0,
                       adapter: (any SessionAdapter)? = nil) throws(SupervisorError) -> SessionInfo {
        guard !isShuttingDown else { throw .shuttingDown }
        let live = sessions.values.filter { $0.status == .starting || $0.status == .running }.count
        guard live < settings.maxSessions else { throw .tooManySessions(limit: settings.maxSessions) }
        try TerminalSize.validate(cols: Int(spec.cols), rows: Int(spec.rows))
        guard sessions[id] == nil else { throw .duplicateSession(id) }
        let session = SupervisedSession(id: id, spec: spec, adapter: adapter, restart: settings.restart, lastSeq: lastSeq)
        do {
            try spawnWorker(for: session)
        } catch {
            throw .spawnFailed(error.description)
        }
        sessions[session.id] = session
        order.append(session.id)
        onSessionChanged(session.info)
        return session.info
    }

    /// Input for a session whose worker is still starting (or restarting) waits for it, up to a bound.
    public func input(_ id: String, _ bytes: [UInt8]) throws(SupervisorError) {
        let session = try live(id)
        if let link = session.worker?.link, session.status == .running {
            link.send(.input(bytes))
        } else if session.pendingInput.count + bytes.count <= SupervisedSession.maxPendingInput {
            session.pendingInput += bytes
        } else {
            throw .notRunning(id)
        }
    }

    public func resize(_ id: String, cols: Int, rows: Int) throws(SupervisorError) {
        try TerminalSize.validate(cols: cols, rows: rows)
        let session = try existing(id)
        session.cols = UInt16(cols)
        session.rows = UInt16(rows)
        // A starting worker gets the size when it says hello.
        _ = try live(id).worker?.link?.send(.resize(cols: UInt16(cols), rows: UInt16(rows)))
    }

    /// Ends the session: the program is hung up, the session becomes `stopped` when it is gone.
    public func close(_ id: String) throws(SupervisorError) {
        let session = try existing(id)
        session.closing = true
        if let timer = session.restartTimer {
            loop.cancel(timer)
            session.restartTimer = nil
        }
        guard let worker = session.worker else {
            return settle(session, as: .stopped, detail: session.detail ?? "closed")
        }
        if let link = worker.link {
            link.send(.close(reason: "closed by user"))
        } else {
            worker.kill()
        }
    }

    /// Drops an ended session (stopped or error, no worker left) from memory.
    public func forget(_ id: String) throws(SupervisorError) {
        let session = try existing(id)
        guard session.worker == nil, session.status == .stopped || session.status == .error else { throw .stillRunning(id) }
        if let timer = session.restartTimer { loop.cancel(timer) }
        sessions[id] = nil
        order.removeAll { $0 == id }
    }

    /// An event the gateway itself adds to a session's stream (e.g. the user's message to Claude), numbered in order with the rest.
    public func emitEvent(_ id: String, _ body: SessionEvent.Body) throws(SupervisorError) {
        emit(try existing(id), body)
    }

    /// While paused, the worker is not credited: its program blocks once the window is full.
    public func setPaused(_ id: String, _ paused: Bool) throws(SupervisorError) {
        let session = try existing(id)
        session.paused = paused
        if !paused { acknowledge(session) }
    }

    /// Events of session `id` up to `seq` are durable: the worker may forget what produced them.
    public func stored(_ id: String, through seq: UInt64) {
        guard let session = sessions[id], let worker = session.worker else { return }
        worker.markStored(throughEvent: seq)
        acknowledge(session)
    }

    /// Hangs up every session, kills what is left after the grace period, and calls `completion`
    /// once every worker has been reaped.
    public func shutdown(completion: @escaping () -> Void) {
        guard !isShuttingDown else { return }
        shutdownCompletion = completion
        // Only live sessions: one already stopped or in error has nothing to hang up, and stays as it is.
        for session in sessions.values where session.worker != nil || session.restartTimer != nil {
            try? close(session.id)
        }
        loop.schedule(after: settings.shutdownGrace) { [weak self] in
            for session in self?.sessions.values.compactMap(\.worker) ?? [] {
                Log.warn("worker did not end in time; killing it", [("pid", "\(session.pid)")])
                session.kill()
            }
        }
        finishShutdownIfDone()
    }

    /// For a gateway that is a subreaper or PID 1: reaps every ended child, orphans included, and
    /// hands workers' statuses to their sessions.
    public func reapChildren() {
        for (pid, status) in Processes.reapAny() {
            if let worker = sessions.values.lazy.compactMap(\.worker).first(where: { $0.pid == pid && !$0.adopted }) {
                worker.reaped(status)
            } else {
                Log.debug("reaped an orphan", [("pid", "\(pid)"), ("status", "\(status)")])
            }
        }
    }

    // MARK: helpers shared by the extensions

    func existing(_ id: String) throws(SupervisorError) -> SupervisedSession {
        guard let session = sessions[id] else { throw .unknownSession(id) }
        return session
    }

    /// A session that is running or on its way there.
    private func live(_ id: String) throws(SupervisorError) -> SupervisedSession {
        let session = try existing(id)
        guard session.status == .running || session.status == .starting, !session.closing else { throw .notRunning(id) }
        return session
    }

    func emit(_ session: SupervisedSession, _ body: SessionEvent.Body, workerSeq: UInt64? = nil) {
        onEvent(session.id, session.nextEvent(body, workerSeq: workerSeq))
    }

    func finishShutdownIfDone() {
        guard let completion = shutdownCompletion, sessions.values.allSatisfy({ $0.worker == nil }) else { return }
        shutdownCompletion = {}
        completion()
    }

    private static func makePrivateDirectory(_ path: String) throws(SystemError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir \(path)") }
        var info = stat()
        guard lstat(path, &info) == 0 else { throw SystemError("stat \(path)") }
        guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid() else {
            throw SystemError("runtime folder \(path) is not a folder owned by this user", code: EPERM)
        }
        if info.st_mode & 0o077 != 0, chmod(path, 0o700) != 0 { throw SystemError("chmod \(path)") }
    }
}
