import DispatchPosix
import DispatchTransport
import DispatchWire
import Glibc

/// The worker's side of the runtime socket. It connects, checks that whoever listens there is the
/// gateway (see `verifyGateway`), says hello, and passes on messages only once the gateway has welcomed
/// the worker: nothing else may give it input or close its session. When the connection ends it keeps
/// trying the socket with backoff (`ReconnectPolicy`), so a restarted gateway can adopt the worker,
/// until the orphan timeout. Loop-confined.
final class GatewayConnection {
    private let socketPath: String
    private let sessionId: String
    private let loop: EventLoop
    private let reconnectSettings: ReconnectPolicy.Settings
    private var link: FramedConnection?
    private var reconnect: ReconnectPolicy?
    private var retryTimer: EventLoop.Timer?
    private(set) var welcomed = false

    /// The hello to send on every connection (it carries the worker's latest seq).
    var makeHello: () -> Hello = { Hello(sessionId: "", secret: [], programPid: 0, lastSeq: 0) }
    /// A gateway accepted the hello; the worker resends what it still holds.
    var onWelcome: (Welcome) -> Void = { _ in }
    /// Every later message from a gateway that welcomed the worker.
    var onMessage: (WireMessage) -> Void = { _ in }
    var onReadBatchEnd: () -> Void = {}
    /// The connection is gone; reconnecting has begun.
    var onLost: () -> Void = {}
    /// The orphan timeout passed without a gateway, or a gateway refused the worker: it should end.
    var onGiveUp: () -> Void = {}

    init(socketPath: String, sessionId: String, reconnect: ReconnectPolicy.Settings, loop: EventLoop) {
        self.socketPath = socketPath
        self.sessionId = sessionId
        self.reconnectSettings = reconnect
        self.loop = loop
    }

    var pendingOutboundBytes: Int { link?.pendingOutboundBytes ?? 0 }

    /// Connects without saying hello yet (the first time the program is started in between).
    func open() throws(SystemError) {
        let socket = try UnixSocket.connect(to: socketPath)
        try Self.verifyGateway(socket, socketPath: socketPath)
        let link = FramedConnection(socket: socket, loop: loop)
        link.onMessage = { [unowned self] in received($0) }
        link.onReadBatchEnd = { [unowned self] in onReadBatchEnd() }
        link.onEnd = { [unowned self] ending in
            Log.warn("gateway connection ended", [("session", sessionId), ("reason", "\(ending)")])
            lost()
        }
        try link.start()
        self.link = link
    }

    func sayHello() {
        link?.send(.hello(makeHello()))
    }

    /// Sends only to a gateway that welcomed this worker; before that, output waits in the retained window.
    func send(_ message: WireMessage) {
        if welcomed { link?.send(message) }
    }

    /// For the fatal report of a program that could not start, which goes out before any welcome.
    func sendUnwelcomed(_ message: WireMessage) {
        link?.send(message)
    }

    /// The gateway broke the protocol: drop it and wait for a better one.
    func drop(_ what: String) {
        Log.error("gateway protocol violation", [("session", sessionId), ("what", what)])
        link?.close()
        lost()
    }

    /// The worker is ending: no more reconnecting.
    func close() {
        if let retryTimer { loop.cancel(retryTimer) }
        retryTimer = nil
        reconnect = nil
        link?.close()
        link = nil
        welcomed = false
    }

    private func received(_ message: WireMessage) {
        if case .welcome(let welcome) = message {
            guard !welcomed else { return drop("a second welcome") }
            welcomed = true
            reconnect = nil
            onWelcome(welcome)
        } else if welcomed {
            onMessage(message)
        } else if case .close(let reason) = message {
            // The gateway does not know this worker (its session ended or was restarted meanwhile): none
            // will, since a restarted gateway knows its sessions before it listens.
            Log.warn("the gateway refused this worker; ending", [("session", sessionId), ("reason", reason)])
            close()
            onGiveUp()
        } else {
            drop("a message other than welcome before the welcome")
        }
    }

    private func lost() {
        link = nil
        welcomed = false
        if reconnect == nil { reconnect = ReconnectPolicy(settings: reconnectSettings, orphanedAt: .now) }
        onLost()
        scheduleAttempt()
    }

    private func scheduleAttempt() {
        guard retryTimer == nil, var policy = reconnect else { return }
        let decision = policy.next(now: .now)
        reconnect = policy
        switch decision {
        case .giveUp:
            Log.warn("no gateway came back within the orphan timeout", [("session", sessionId)])
            reconnect = nil
            onGiveUp()
        case .retry(let delay):
            retryTimer = loop.schedule(after: delay) { [weak self] in
                guard let self else { return }
                retryTimer = nil
                attempt()
            }
        }
    }

    private func attempt() {
        guard link == nil, reconnect != nil else { return }
        do {
            try open()
        } catch {
            Log.debug("gateway not reachable yet", [("session", sessionId), ("error", error.description)])
            return scheduleAttempt()
        }
        Log.debug("reconnected to the gateway socket", [("session", sessionId)])
        sayHello()
    }

    /// Who listens on the socket must be this user's process, in a folder only this user can enter, so
    /// that nobody else can bind the path while the gateway is away and pose as it. This is the boundary:
    /// a process of the same user could ptrace the worker anyway, so it is not defended against.
    static func verifyGateway(_ socket: FileDescriptor, socketPath: String) throws(SystemError) {
        let peer = try UnixSocket.peer(of: socket)
        guard peer.uid == getuid() else {
            throw SystemError("the socket \(socketPath) is served by uid \(peer.uid), not ours", code: EPERM)
        }
        let folder = socketPath.lastIndex(of: "/").map { String(socketPath[..<$0]) } ?? "."
        var info = stat()
        guard lstat(folder.isEmpty ? "/" : folder, &info) == 0 else { throw SystemError("stat \(folder)") }
        guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid(), info.st_mode & 0o077 == 0 else {
            throw SystemError("the runtime folder \(folder) is not a private folder of ours", code: EPERM)
        }
    }
}
