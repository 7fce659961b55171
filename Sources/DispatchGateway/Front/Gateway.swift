import DispatchHTTP
import DispatchPosix
import DispatchStore

/// The front of dispatch-gateway: the HTTP server, authentication, the REST routes, WebSocket clients,
/// and the session hub, all on one event loop with the supervisor. Loop-confined.
public final class Gateway {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 3030
        public var key: String
        public var workspacesRoot: String
        public var staticRoot: String
        public var allowedOrigins: [String] = []
        public var allowedHosts: [String] = []
        public var secureCookies = false
        public var limits = ServerLimits()
        public var sessionEnvironment: [String]
        /// The program of new terminal sessions; empty for the login shell.
        public var defaultCommand: [String] = []
        /// Which Claude CLI, its config folder and credentials, and whether terminals run it.
        var claude = ClaudeSessions.Settings()
        /// Serves `/ws-echo`, an unauthenticated WebSocket echo for the Autobahn conformance suite.
        /// Only ever set by tests (DISPATCH_TEST_ECHO=1).
        public var echoEndpoint = false
        /// Login to Claude from the browser; nil leaves its routes answering 503.
        public var claudeLogin: ClaudeLoginSettings?

        public init(key: String, workspacesRoot: String, staticRoot: String, sessionEnvironment: [String]) {
            self.key = key
            self.workspacesRoot = workspacesRoot
            self.staticRoot = staticRoot
            self.sessionEnvironment = sessionEnvironment
        }

        var loopbackBound: Bool { ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.") }
    }

    let settings: Settings
    let loop: EventLoop
    let supervisor: Supervisor
    let hub: SessionHub
    let api: ClientAPI
    let claude: ClaudeSessions
    let staticFiles: StaticFiles
    var requestGuard: RequestGuard
    /// The tunnel's public URL while it is up (`GET /public-url`).
    var publicURL: String?
    var rateLimiter = LoginRateLimiter()
    let logins: StoredLogins
    var metrics = Metrics()
    let claudeLogin: ClaudeLogin?
    private(set) var clients: [ObjectIdentifier: ClientConnection] = [:]
    private(set) var server: HTTPServer?

    public init(settings: Settings, supervisor: Supervisor, store: EventStore, loop: EventLoop) throws(SystemError) {
        self.settings = settings
        self.loop = loop
        self.supervisor = supervisor
        let claude = ClaudeSessions(settings: settings.claude, supervisor: supervisor)
        self.claude = claude
        logins = StoredLogins(store: store, loop: loop, key: settings.key)
        hub = SessionHub(supervisor: supervisor, recorder: EventRecorder(store: store, loop: loop), loop: loop, limits: settings.limits) { row in
            // What an adopted session runs should its worker be restarted: its kind and folder as stored,
            // this gateway's program and environment; a Claude session its conversation.
            guard let kind = SessionKind(rawValue: row.kind),
                  let folder = JSON.parse(Array(row.meta.utf8))?["cwd"]?.string else { return nil }
            guard kind == .claude else {
                return (SessionSpec(kind: kind, directory: folder, command: settings.defaultCommand, environment: settings.sessionEnvironment), nil)
            }
            let continuation = ClaudeSessions.continuation(ofMeta: row.meta, fresh: false)
            guard case .success(let (spec, session)) = claude.prepare(
                directory: folder, options: continuation.options, conversationId: continuation.conversationId,
                conversationStarted: continuation.started, pendingPermissions: continuation.pending, cols: 80, rows: 24, environment: settings.sessionEnvironment) else { return nil }
            claude.register(session, id: row.id)
            return (spec, session)
        }
        // Adapters were made for every session the last gateway left running; those not adopted are past sessions.
        claude.keepOnly { supervisor.info($0) != nil }
        let workspaces = Workspaces(root: settings.workspacesRoot)
        api = ClientAPI(hub: hub, supervisor: supervisor, workspaces: workspaces, claude: claude,
                        environment: settings.sessionEnvironment, defaultCommand: settings.defaultCommand)
        staticFiles = StaticFiles(root: settings.staticRoot)
        claudeLogin = settings.claudeLogin.map { [hub] in
            // The environment of every Claude process (no self-update, the configured CLAUDE_CONFIG_DIR).
            ClaudeLogin(settings: $0, sessionEnvironment: claude.environment(settings.sessionEnvironment), hub: hub,
                        supervisor: supervisor, loop: loop)
        }
        server = nil
        requestGuard = RequestGuard(port: settings.port, allowedOrigins: settings.allowedOrigins,
                                    allowedHosts: settings.allowedHosts, loopbackBound: settings.loopbackBound)
        hub.onSessionsChanged = { [unowned self] in broadcastSessions() }
        hub.extraMeta = { [unowned self] id in self.claude.meta(id) }
        claude.onMetaChanged = { [unowned self] id in hub.metaChanged(id) }
        hub.onEventRecorded = { [unowned self] event in
            if event.channel == "pty:stdout" { metrics.bytesOut += event.payload.utf8.count }
        }
        let server = try HTTPServer(host: settings.host, port: settings.port, loop: loop, limits: settings.limits) { [unowned self] request, context in
            route(request, context)
        }
        server.webSocketCount = { [unowned self] in
            (clients.count, clients.values.filter { !$0.authenticated }.count)
        }
        self.server = server
    }

    /// Writes every pending event and login use (at shutdown).
    public func flush() {
        hub.recorder.flush()
        logins.flush(everything: true)
    }

    /// The port actually bound (differs from the setting when it was 0).
    public var port: Int { server?.port ?? settings.port }

    var cookieName: String { "dispatch_session_\(port)" }

    // MARK: credentials

    struct AuthFailure: Error {
        let message: String
        let retryAfterSeconds: Int?
        let status: Int
    }

    /// The login rule: throttled per client and globally before the key is even looked at.
    func checkKey(_ candidate: String?, client: String) -> Result<Void, AuthFailure> {
        let now = ContinuousClock.now
        if case .limited(let retryAfter) = rateLimiter.check(client: client, now: now) {
            metrics.loginFailures += 1
            let seconds = Int(retryAfter.components.seconds) + (retryAfter.components.attoseconds > 0 ? 1 : 0)
            return .failure(AuthFailure(message: "too many failed logins; try again in \(seconds) s", retryAfterSeconds: seconds, status: 429))
        }
        guard let candidate, KeyStore.matches(candidate: candidate, key: settings.key) else {
            rateLimiter.recordFailure(client: client, now: now)
            metrics.loginFailures += 1
            Log.warn("login failed", [("peer", client)])
            return .failure(AuthFailure(message: "wrong key", retryAfterSeconds: nil, status: 401))
        }
        rateLimiter.recordSuccess(client: client)
        return .success(())
    }

    enum Credential {
        case cookie(sessionID: String)
        case bearer
    }

    func credential(of request: HTTPRequest) -> Credential? {
        if let authorization = request.headers["Authorization"], authorization.hasPrefix("Bearer ") {
            return KeyStore.matches(candidate: String(authorization.dropFirst(7)), key: settings.key) ? .bearer : nil
        }
        guard let token = cookie(cookieName, in: request) else { return nil }
        return logins.validate(token: token).map { .cookie(sessionID: $0) }
    }

    func cookie(_ name: String, in request: HTTPRequest) -> String? {
        for header in request.headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingSpaces == name { return String(parts[1].trimmingSpaces) }
            }
        }
        return nil
    }

    func sessionCookie(_ token: String, maxAge: Int) -> String {
        "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)" + (settings.secureCookies ? "; Secure" : "")
    }

    /// Logout or revocation: the login session's sockets close too.
    func revoked(_ sessionIDs: [String]) {
        for client in clients.values where client.authSessionID.map(sessionIDs.contains) == true {
            client.socket.close(code: 1008, reason: "logged out")
        }
    }

    // MARK: WebSocket clients

    func accept(_ stream: ByteStream, leftover: [UInt8], peer: String, credential: Credential?, staleCookie: Bool) {
        let socket = WebSocketConnection(stream: stream, loop: loop, limits: settings.limits)
        let sessionID: String? = if case .cookie(let id) = credential { id } else { nil }
        let client = ClientConnection(socket: socket, peer: peer, authenticated: credential != nil, authSessionID: sessionID, gateway: self)
        let key = ObjectIdentifier(client)
        clients[key] = client
        socket.onText = { [unowned client] text in client.received(text) }
        socket.onDrained = { [unowned self, unowned client] in hub.drained(client) }
        socket.onClosed = { [unowned self] in
            if let client = clients.removeValue(forKey: key) { hub.detachAll(client) }
        }
        if credential != nil { client.send(.object([("type", .string("auth.success"))])) }
        if staleCookie { client.send(.object([("type", .string("auth.error")), ("error", .string("the login has expired"))])) }
        // A socket that never authenticates does not keep a connection slot.
        loop.schedule(after: settings.limits.headerTimeout) { [weak client] in
            guard let client, !client.authenticated else { return }
            client.socket.close(code: 1008, reason: "not authenticated")
        }
        socket.start(leftover: leftover)
    }

    func renderMetrics() -> String {
        var byStatus: [String: Int] = [:]
        var restarts = 0
        for info in supervisor.list() {
            byStatus[info.status.rawValue, default: 0] += 1
            restarts += info.restarts
        }
        let storeBytes = hub.recorder.attempt("store size") { try $0.sizeInBytes() } ?? 0
        return metrics.render(Metrics.Readings(sessionsByStatus: byStatus, workerRestarts: restarts, webSockets: clients.count,
                                               storeBytes: storeBytes, bytesIn: api.bytesIn, eventsStored: hub.recorder.storedCount))
    }

    /// Sessions or workspaces changed: every authenticated client hears it.
    func broadcastSessions() {
        guard !clients.isEmpty else { return }
        let message = JSON.object([("type", .string("sessions-updated")), ("sessions", .array(hub.list()))]).text
        for client in clients.values where client.authenticated { client.sendRaw(message) }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
