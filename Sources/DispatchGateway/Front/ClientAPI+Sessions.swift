import DispatchPosix

/// Starting and reopening sessions of either kind, and the Claude requests of the WebSocket API
/// (documented in README.md, "Claude Code sessions").
extension ClientAPI {
    func start(_ kind: SessionKind, options: JSON?, workspace: (name: String, path: String), cols: UInt16, rows: UInt16) -> Result<JSON, CreateError> {
        let id = Secrets.sessionID()
        switch kind {
        case .pty:
            let terminal = terminalSpec(directory: workspace.path, cols: cols, rows: rows)
            return launch { () throws(SupervisorError) in
                let descriptor = try hub.create(terminal.spec, workspace: workspace.name, id: id)
                if let notice = terminal.notice { try supervisor.emitEvent(id, .output(notice)) }
                return descriptor
            }
        case .claude:
            let parsed: ClaudeOptions
            do {
                parsed = try ClaudeOptions.parse(options)
            } catch {
                return .failure(CreateError(error.description))
            }
            return startClaude(id: id, directory: workspace.path, options: parsed, conversationId: parsed.resume ?? Secrets.sessionID(),
                               conversationStarted: parsed.resume != nil, cols: cols, rows: rows) { spec, session throws(SupervisorError) in
                try hub.create(spec, workspace: workspace.name, id: id, adapter: session)
            }
        }
    }

    /// Starts a stopped (or failed) session again under its id: a terminal gets a new shell in its
    /// workspace, a Claude session resumes its conversation (`fresh`: starts a new one).
    func reopen(_ id: String, fresh: Bool) -> Result<JSON, CreateError> {
        guard let ended = hub.endedSession(id) else {
            return .failure(hub.exists(id) ? CreateError("session \(id) is still running; end it first", status: 409)
                                           : CreateError("no session \(id)", status: 404))
        }
        let directory: String
        do {
            directory = try workspaces.folder(ended.workspace)
        } catch {
            return .failure(CreateError("cannot reopen session \(id): \(error)", status: 409))
        }
        guard ended.kind == SessionKind.claude.rawValue else {
            let terminal = terminalSpec(directory: directory, cols: 80, rows: 24)
            return launch { () throws(SupervisorError) in
                let descriptor = try hub.reopen(id, terminal.spec, adapter: nil)
                if let notice = terminal.notice { try supervisor.emitEvent(id, .output(notice)) }
                return descriptor
            }
        }
        let continuation = ClaudeSessions.continuation(ofMeta: ended.meta, fresh: fresh)
        return startClaude(id: id, directory: directory, options: continuation.options, conversationId: continuation.conversationId,
                           conversationStarted: continuation.started, cols: 80, rows: 24) { spec, session throws(SupervisorError) in
            try hub.reopen(id, spec, adapter: session)
        }
    }

    /// Claude and session-control requests; nil for a type this does not know.
    func handleSessionControl(_ type: String, _ message: JSON) -> ClientConnection.Outcome? {
        guard ["run:interrupt", "claude:permission", "run:restart"].contains(type) else { return nil }
        guard let runId = message["runId"]?.string else { return .failure("this message needs \"runId\"") }
        switch type {
        case "run:interrupt":
            return Self.outcome { () throws(ClaudeSessions.Failure) in try claude.interrupt(runId) }
        case "claude:permission":
            guard let requestId = message["requestId"]?.string else { return .failure("claude:permission needs \"requestId\"") }
            switch Self.permissionDecision(message) {
            case .success(let decision):
                return Self.outcome { () throws(ClaudeSessions.Failure) in
                    try claude.answer(runId, requestId: requestId, allow: decision.allow, message: decision.message)
                }
            case .failure(let error):
                return .failure(error.message)
            }
        default:
            guard message["fresh"] == nil || message["fresh"]?.bool != nil else { return .failure("\"fresh\" must be true or false") }
            switch reopen(runId, fresh: message["fresh"]?.bool ?? false) {
            case .success(let session): return .success([("runId", .string(runId)), ("session", session)])
            case .failure(let error): return .failure(error.message)
            }
        }
    }

    /// `{"behavior": "allow"|"deny", "message"?: "..."}`, from a WebSocket message or a REST body.
    static func permissionDecision(_ body: JSON) -> Result<(allow: Bool, message: String?), CreateError> {
        guard let behavior = body["behavior"]?.string, behavior == "allow" || behavior == "deny" else {
            return .failure(CreateError("\"behavior\" must be \"allow\" or \"deny\""))
        }
        guard body["message"] == nil || body["message"]?.string != nil else { return .failure(CreateError("\"message\" must be a string")) }
        return .success((behavior == "allow", body["message"]?.string))
    }

    static func outcome(_ body: () throws(ClaudeSessions.Failure) -> Void) -> ClientConnection.Outcome {
        do {
            try body()
            return .success([])
        } catch {
            return .failure(error.description)
        }
    }

    private func startClaude(id: String, directory: String, options: ClaudeOptions, conversationId: String, conversationStarted: Bool,
                             cols: UInt16, rows: UInt16,
                             _ create: (SessionSpec, ClaudeSession) throws(SupervisorError) -> JSON) -> Result<JSON, CreateError> {
        let prepared = claude.prepare(directory: directory, options: options, conversationId: conversationId,
                                      conversationStarted: conversationStarted, cols: cols, rows: rows, environment: environment)
        guard case .success(let (spec, session)) = prepared else {
            if case .failure(let error) = prepared { return .failure(error) }
            return .failure(CreateError("cannot start the session", status: 500))
        }
        claude.register(session, id: id)
        let result = launch { () throws(SupervisorError) in try create(spec, session) }
        if case .failure = result { claude.unregister(id) }
        return result
    }

    private func launch(_ body: () throws(SupervisorError) -> JSON) -> Result<JSON, CreateError> {
        do {
            return .success(try body())
        } catch {
            return .failure(CreateError(error.description, status: error.startStatus))
        }
    }

    /// A new terminal: the login shell, or with PTY_MODE=claude the `claude` TUI (a shell, and a
    /// notice saying why, when the CLI is missing).
    private func terminalSpec(directory: String, cols: UInt16, rows: UInt16) -> (spec: SessionSpec, notice: String?) {
        let shell = SessionSpec(kind: .pty, directory: directory, command: defaultCommand, cols: cols, rows: rows, environment: environment)
        guard claude.settings.terminalsRunClaude else { return (shell, nil) }
        let claudeEnvironment = claude.environment(environment)
        guard let executable = claude.executable(in: claudeEnvironment) else {
            return (shell, "[\(claude.settings.executable) not found on PATH: started a shell]\r\n")
        }
        return (SessionSpec(kind: .pty, directory: directory, command: [executable], cols: cols, rows: rows,
                            environment: claudeEnvironment, privateEnvironment: claude.settings.credentials()), nil)
    }
}
