import DispatchPosix

/// Claude in Dispatch: the settings of every Claude process (which CLI, its config folder, its
/// credentials), the Claude sessions of this run, and what users do with them (messages, interrupts,
/// permission answers). Loop-confined.
final class ClaudeSessions {
    struct Settings: Sendable {
        /// `CLAUDE_BIN`: a name looked up on PATH, or a path.
        var executable = "claude"
        /// `CLAUDE_CONFIG_DIR`, passed to Claude processes when set.
        var configDirectory: String?
        /// `PTY_MODE=claude`: new terminals run the `claude` TUI.
        var terminalsRunClaude = false
        /// Credentials for Claude processes only (`NAME=value`), asked at each start.
        var credentials: @Sendable () -> [String] = ClaudeSessions.credentials(fromGatewayEnvironment: [])

        init() {}
    }

    let settings: Settings
    private let supervisor: Supervisor
    private var sessions: [String: ClaudeSession] = [:]
    /// A session's meta changed (pending permissions, conversation state).
    var onMetaChanged: (String) -> Void = { _ in }

    init(settings: Settings, supervisor: Supervisor) {
        self.settings = settings
        self.supervisor = supervisor
    }

    /// The credentials: the token of a browser login when there is one (alone: an API key next to an
    /// OAuth token breaks the CLI's sign-in), else `ANTHROPIC_API_KEY` and `CLAUDE_CODE_OAUTH_TOKEN` of
    /// the gateway's own environment. Read at each start, so a login applies to the next session.
    static func credentials(fromGatewayEnvironment environment: [String], tokens: ClaudeTokenStore? = nil) -> @Sendable () -> [String] {
        let passed = environment.filter { $0.hasPrefix("ANTHROPIC_API_KEY=") || $0.hasPrefix("CLAUDE_CODE_OAUTH_TOKEN=") }
        return {
            guard let token = tokens?.load() else { return passed }
            return ["CLAUDE_CODE_OAUTH_TOKEN=" + token]
        }
    }

    /// The public environment of a Claude process: the session's, the config folder, and no
    /// self-updating (the CLI is installed with Dispatch, not by it).
    func environment(_ base: [String]) -> [String] {
        var environment = base.filter { !$0.hasPrefix("CLAUDE_CONFIG_DIR=") && !$0.hasPrefix("DISABLE_AUTOUPDATER=") }
        environment.append("DISABLE_AUTOUPDATER=1")
        if let folder = settings.configDirectory { environment.append("CLAUDE_CONFIG_DIR=" + folder) }
        return environment
    }

    /// Where Claude keeps its state for processes with this environment: the config folder, else `$HOME/.claude`.
    func configFolder(_ environment: [String]) -> String {
        if let folder = settings.configDirectory { return folder }
        let home = environment.last { $0.hasPrefix("HOME=") }.map { String($0.dropFirst(5)) } ?? ""
        return (home.isEmpty ? "/root" : home) + "/.claude"
    }

    func executable(in environment: [String]) -> String? {
        ExecutableLookup.find(settings.executable, environment: environment)
    }

    var missingExecutable: String {
        "the Claude CLI (\(settings.executable)) was not found on PATH: install Claude Code or set CLAUDE_BIN"
    }

    // MARK: sessions

    /// A session's spec and adapter; `register` it under its id before the supervisor starts it.
    func prepare(directory: String, options: ClaudeOptions, conversationId: String, conversationStarted: Bool,
                 pendingPermissions: [ClaudeStreamTranslator.Permission] = [],
                 cols: UInt16, rows: UInt16, environment base: [String]) -> Result<(SessionSpec, ClaudeSession), ClientAPI.CreateError> {
        let environment = environment(base)
        guard let executable = executable(in: environment) else { return .failure(.init(missingExecutable)) }
        let session = ClaudeSession(executable: executable, options: options, conversationId: conversationId,
                                    conversationStarted: conversationStarted, pendingPermissions: pendingPermissions)
        // The folder as the CLI sees it, so a resumed process finds the transcript where the first one wrote it.
        let spec = SessionSpec(kind: .claude, directory: ExecutableLookup.resolved(directory), cols: cols, rows: rows,
                               environment: environment, privateEnvironment: settings.credentials())
        return .success((spec, session))
    }

    /// How a stored Claude session goes on: its options and conversation from its meta (and the permission
    /// requests its CLI may still wait on); `fresh` starts a new conversation.
    static func continuation(ofMeta metaText: String, fresh: Bool)
        -> (options: ClaudeOptions, conversationId: String, started: Bool, pending: [ClaudeStreamTranslator.Permission]) {
        let meta = JSON.parse(Array(metaText.utf8))
        let options = (try? ClaudeOptions.parse(meta?["claudeOptions"])) ?? ClaudeOptions()
        let previous = meta?["claudeSessionId"]?.string
        let conversationId = fresh ? Secrets.sessionID() : previous ?? Secrets.sessionID()
        let started = !fresh && previous != nil && meta?["claudeConversationStarted"]?.bool == true
        var pending: [ClaudeStreamTranslator.Permission] = []
        if !fresh, case .array(let stored) = meta?["pendingPermissions"] ?? .null {
            pending = stored.compactMap(ClaudeStreamTranslator.Permission.init(json:))
        }
        return (options, conversationId, started, pending)
    }

    func register(_ session: ClaudeSession, id: String) {
        sessions[id] = session
        session.onMetaChanged = { [unowned self] in onMetaChanged(id) }
    }

    /// Keeps only the sessions `isLive` says the supervisor runs (after adoption: not the ones it declined).
    func keepOnly(where isLive: (String) -> Bool) {
        sessions = sessions.filter { isLive($0.key) }
    }

    func unregister(_ id: String) {
        sessions[id] = nil
    }

    func isClaude(_ id: String) -> Bool {
        sessions[id] != nil
    }

    func meta(_ id: String) -> [(String, JSON)] {
        sessions[id]?.meta ?? []
    }

    enum Failure: Error, Equatable, CustomStringConvertible {
        case badRequest(String)
        case notFound(String)
        case conflict(String)

        var description: String {
            switch self {
            case .badRequest(let message), .notFound(let message), .conflict(let message): message
            }
        }
    }

    /// The user's message: to the CLI as one stream-json line, and into the stream as `claude:user`.
    func send(_ id: String, text: String) throws(Failure) {
        let session = try claude(id)
        guard text.contains(where: { !$0.isWhitespace }) else { throw .badRequest("the message is empty") }
        let line = ClaudeInput.userMessage(text)
        guard line.count <= 512 * 1024 else { throw .badRequest("the message is too long (at most 512 KiB)") }
        do {
            try supervisor.input(id, line)
            try supervisor.emitEvent(id, .worker(channel: "claude:user", payload: JSON.object([("text", .string(text))]).bytes))
        } catch {
            throw .conflict(error.description)
        }
        session.messageSent()
    }

    func interrupt(_ id: String) throws(Failure) {
        let session = try claude(id)
        do {
            try supervisor.input(id, session.interruptLine())
        } catch {
            throw .conflict(error.description)
        }
    }

    func answer(_ id: String, requestId: String, allow: Bool, message: String?) throws(Failure) {
        let session = try claude(id)
        let answer: (line: [UInt8], event: SessionEvent.Body)
        do {
            answer = try session.answer(requestId: requestId, allow: allow, message: message)
        } catch .answeredAlready {
            throw .conflict("permission request \(requestId) was answered already")
        } catch {
            throw .notFound("no pending permission request \(requestId) in session \(id)")
        }
        do {
            try supervisor.input(id, answer.line)
            try supervisor.emitEvent(id, answer.event)
        } catch {
            throw .conflict(error.description)
        }
    }

    private func claude(_ id: String) throws(Failure) -> ClaudeSession {
        guard let session = sessions[id] else {
            throw supervisor.info(id) == nil ? .notFound("no session \(id)") : .badRequest("session \(id) is not a Claude session")
        }
        return session
    }
}
