import DispatchPosix

public struct ClaudeLoginSettings: Sendable {
    /// `CLAUDE_BIN` as configured: a path, or a name looked up in the sessions' `PATH`.
    public var binary: String
    /// `DISPATCH_HOME`: where the token is kept, and the CLI's working folder during a login.
    public var home: String
    public var timeouts = ClaudeLoginTimeouts()
    /// `ANTHROPIC_API_KEY` is set for the gateway: Claude works without a login.
    public var apiKeyInEnvironment = false

    public init(binary: String, home: String) {
        self.binary = binary
        self.home = home
    }
}

/// Login to Claude from the browser: runs `claude setup-token` on a pty in a hidden session, shows
/// its sign-in URL, types the user's code into it, and keeps the token it prints. The session's
/// stream carries only `claude:auth` events; the terminal output (with the token) never leaves this
/// object. Loop-confined.
final class ClaudeLogin {
    struct Failure: Error {
        let status: Int
        let message: String
    }

    /// The CLI draws its screens this size: wide enough that neither the URL nor the token wraps.
    static let terminalSize: (cols: UInt16, rows: UInt16) = (500, 50)
    static let maxCodeBytes = 2048
    /// Ink takes text and Enter in one read as a paste; Enter on its own submits.
    static let enterDelay: Duration = .milliseconds(150)

    private let settings: ClaudeLoginSettings
    private let environment: [String]
    private let hub: SessionHub
    private let supervisor: Supervisor
    private let loop: EventLoop
    let tokens: ClaudeTokenStore
    /// The latest login: its hidden session (kept until the next start so its stream stays readable) and progress.
    private var sessionID: String?
    private var flow: ClaudeLoginFlow?
    /// Why the latest start did not even get a session (the CLI is missing, too many sessions).
    private var startFailure: String?
    private var deadlineTimer: EventLoop.Timer?

    init(settings: ClaudeLoginSettings, sessionEnvironment: [String], hub: SessionHub, supervisor: Supervisor, loop: EventLoop) {
        self.settings = settings
        environment = sessionEnvironment.filter { !$0.hasPrefix("BROWSER=") } + ["BROWSER=echo"]
        self.hub = hub
        self.supervisor = supervisor
        self.loop = loop
        tokens = ClaudeTokenStore(home: settings.home)
    }

    // MARK: the routes' operations

    /// Starts a login, ending any earlier one.
    func start() -> Result<JSON, Failure> {
        discard()
        guard let program = ExecutableLookup.find(settings.binary, environment: environment) else {
            return failedToStart(503, "claude CLI not found (CLAUDE_BIN=\(settings.binary))")
        }
        let spec = SessionSpec(kind: .pty, directory: settings.home, command: [program, "setup-token"],
                               cols: Self.terminalSize.cols, rows: Self.terminalSize.rows, environment: environment)
        let id = Secrets.sessionID()
        let handlers = SessionHub.HiddenSession(
            onEvent: { [unowned self] event in received(event, from: id) },
            onChange: { [unowned self] info in changed(info) })
        do {
            try hub.createHidden(spec, id: id, handlers)
            sessionID = id
        } catch {
            return failedToStart(error == .shuttingDown || error.isLimit ? 503 : 500, "cannot start claude setup-token: \(error)")
        }
        flow = ClaudeLoginFlow(timeouts: settings.timeouts, now: .now)
        Log.info("claude login started", [("session", id)])
        carryOut([.announce])
        return .success(status())
    }

    /// Types the user's code (from the callback page) into the waiting CLI.
    func submit(code: String) -> Result<JSON, Failure> {
        guard !code.isEmpty, code.utf8.count <= Self.maxCodeBytes,
              !code.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            return .failure(Failure(status: 400, message: "\"code\" must be 1 to \(Self.maxCodeBytes) bytes of text without control characters"))
        }
        guard let id = sessionID, flow?.sendCode(now: .now) == true else {
            return .failure(Failure(status: 409, message: "no Claude login is waiting for a code; start one first"))
        }
        do {
            try supervisor.input(id, Array(code.utf8))
        } catch {
            carryOut(flow?.fail("cannot type the code: \(error)") ?? [])
            return .success(status())
        }
        loop.schedule(after: Self.enterDelay) { [weak self] in
            guard let self, sessionID == id, flow?.isFinished == false else { return }
            try? supervisor.input(id, [0x0D])
        }
        carryOut([.announce])
        return .success(status())
    }

    /// Ends any login and deletes the stored token.
    func forget() -> JSON {
        discard()
        tokens.forget()
        Log.info("claude token forgotten")
        return status()
    }

    /// `{"state": none|starting|waiting_for_code|authenticated|error, ...}`; never the token.
    func status() -> JSON {
        var members: [(String, JSON)] = []
        switch flow?.state {
        case .starting:
            members = [("state", .string("starting"))]
        case .waitingForCode(let url, let codeSent):
            members = [("state", .string("waiting_for_code")), ("url", .string(url)), ("codeSent", .bool(codeSent))]
        case .failed(let message):
            members = [("state", .string("error")), ("error", .string(message))]
        case .authenticated, nil:
            if let startFailure {
                members = [("state", .string("error")), ("error", .string(startFailure))]
            } else if tokens.load() != nil {
                members = [("state", .string("authenticated")), ("method", .string("oauth_token"))]
            } else if settings.apiKeyInEnvironment {
                members = [("state", .string("authenticated")), ("method", .string("api_key"))]
            } else {
                members = [("state", .string("none"))]
            }
        }
        if let sessionID { members.append(("sessionId", .string(sessionID))) }
        return .object(members)
    }

    // MARK: the hidden session

    private func received(_ event: SessionEvent, from id: String) {
        guard id == sessionID else { return }  // an earlier login, on its way out
        switch event.body {
        case .output(let text):
            carryOut(flow?.output(Array(text.utf8), now: .now) ?? [])
        case .exit(let exit):
            let how = switch exit {
            case .exited(let code): "exit status \(code)"
            case .signaled(let signal): "killed by \(SignalNames.name(signal))"
            }
            carryOut(flow?.ended(how, now: .now) ?? [])
        case .status(let change) where change.kind == .crashed:
            carryOut(flow?.fail("the login's worker crashed: \(change.detail ?? "no detail")") ?? [])
        case .status, .worker:
            break
        }
    }

    private func changed(_ info: SessionInfo) {
        guard info.id == sessionID else {
            // An earlier login's session has ended: nothing of it is kept.
            if info.status == .stopped || info.status == .error { try? hub.forgetHidden(info.id) }
            return
        }
        guard info.status == .error else { return }
        carryOut(flow?.fail("cannot run claude setup-token: \(info.detail ?? "no detail")") ?? [])
    }

    private func carryOut(_ actions: [ClaudeLoginFlow.Action]) {
        guard let id = sessionID else { return }
        for action in actions {
            switch action {
            case .saveToken(let token):
                do {
                    try tokens.save(token)
                    Log.info("claude login succeeded; token stored", [("file", tokens.path)])
                } catch {
                    Log.error("cannot store the claude token", [("error", "\(error)")])
                    carryOut(flow?.tokenNotStored(error.description) ?? [])
                }
            case .stop:
                try? supervisor.close(id)
            case .announce:
                if case .failed(let message) = flow?.state { Log.warn("claude login failed", [("error", message)]) }
                try? supervisor.emitEvent(id, .worker(channel: "claude:auth", payload: status().bytes))
            }
        }
        rescheduleDeadline()
    }

    private func rescheduleDeadline() {
        if let deadlineTimer { loop.cancel(deadlineTimer) }
        deadlineTimer = nil
        guard let deadline = flow?.deadline else { return }
        deadlineTimer = loop.schedule(at: deadline) { [unowned self] in
            deadlineTimer = nil
            carryOut(flow?.tick(now: .now) ?? [])
        }
    }

    private func failedToStart(_ status: Int, _ message: String) -> Result<JSON, Failure> {
        startFailure = message
        Log.warn("claude login cannot start", [("error", message)])
        return .failure(Failure(status: status, message: message))
    }

    /// Ends the latest login, if any; its session is dropped now when it has ended, else when it does.
    private func discard() {
        if let id = sessionID {
            try? supervisor.close(id)
            try? hub.forgetHidden(id)
        }
        if let deadlineTimer { loop.cancel(deadlineTimer) }
        deadlineTimer = nil
        sessionID = nil
        flow = nil
        startFailure = nil
    }
}
