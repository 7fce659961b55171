import DispatchPosix

/// The WebSocket requests after authentication, and the session creation shared with REST.
/// Loop-confined.
final class ClientAPI {
    let hub: SessionHub
    let supervisor: Supervisor
    let workspaces: Workspaces
    let claude: ClaudeSessions
    let environment: [String]
    let defaultCommand: [String]

    init(hub: SessionHub, supervisor: Supervisor, workspaces: Workspaces, claude: ClaudeSessions, environment: [String], defaultCommand: [String]) {
        self.hub = hub
        self.supervisor = supervisor
        self.workspaces = workspaces
        self.claude = claude
        self.environment = environment
        self.defaultCommand = defaultCommand
    }

    func handle(_ type: String, _ message: JSON, from client: ClientConnection) -> ClientConnection.Outcome {
        switch type {
        case "list":
            return .success([("sessions", .array(hub.list()))])
        case "create":
            switch makeSession(message) {
            case .success(let session): return .success([("runId", session["id"] ?? .null), ("session", session)])
            case .failure(let error): return .failure(error.message)
            }
        case "run:attach":
            guard let runId = message["runId"]?.string else { return .failure("this message needs \"runId\"") }
            let afterSeq = message["afterSeq"].map { $0.integer ?? -1 } ?? 0
            guard afterSeq >= 0 else {
                return .failure("\"afterSeq\" must be a whole number from 0")
            }
            do {
                let historyStart = try hub.attach(client, runId: runId, afterSeq: UInt64(afterSeq), flow: message["flow"]?.bool ?? false)
                return .success([("runId", .string(runId))] + (historyStart.map { [("historyStart", .int($0))] } ?? []))
            } catch {
                return .failure(error.description)
            }
        case "run:input":
            return withTerminal(message) { (runId: String) throws(SupervisorError) -> ClientConnection.Outcome in
                guard let data = message["data"]?.string else { return .failure("run:input needs \"data\" as a string") }
                if claude.isClaude(runId) {
                    return Self.outcome { () throws(ClaudeSessions.Failure) in try claude.send(runId, text: data) }
                }
                try supervisor.input(runId, Array(data.utf8))
                bytesIn += data.utf8.count
                return .none
            }
        case "rename":
            guard let runId = message["runId"]?.string else { return .failure("this message needs \"runId\"") }
            guard let title = Self.validTitle(message["title"]) else { return .failure(Self.titleRule) }
            return hub.rename(runId, title: title) ? .success([]) : .failure("no session \(runId)")
        case "run:resize":
            return withTerminal(message) { (runId: String) throws(SupervisorError) -> ClientConnection.Outcome in
                guard let cols = message["cols"]?.integer, let rows = message["rows"]?.integer else {
                    return .failure("run:resize needs whole numbers \"cols\" and \"rows\"")
                }
                try supervisor.resize(runId, cols: cols, rows: rows)
                return .success([])
            }
        case "run:ack":
            return withSession(message) { (runId: String) throws(SupervisorError) -> ClientConnection.Outcome in
                guard let seq = message["seq"]?.integer, seq >= 0 else { return .failure("run:ack needs \"seq\"") }
                hub.acknowledge(client, runId: runId, seq: UInt64(seq))
                return .none
            }
        case "run:detach":
            return withSession(message) { (runId: String) throws(SupervisorError) -> ClientConnection.Outcome in
                hub.detach(client, runId: runId)
                return .success([])
            }
        case "run:close":
            return withTerminal(message) { (runId: String) throws(SupervisorError) -> ClientConnection.Outcome in
                try supervisor.close(runId)
                return .success([])
            }
        default:
            return handleSessionControl(type, message) ?? .failure("unknown message type \(JSONString.quoted(type))")
        }
    }

    /// Typed into sessions, for the metrics.
    private(set) var bytesIn = 0

    static let titleRule = "\"title\" must be a string of 1 to 200 characters"

    static func validTitle(_ value: JSON?) -> String? {
        guard let title = value?.string, (1...200).contains(title.count), !title.unicodeScalars.contains(where: { $0.value < 0x20 }) else { return nil }
        return title
    }

    private func withSession(_ message: JSON, _ body: (String) throws(SupervisorError) -> ClientConnection.Outcome) -> ClientConnection.Outcome {
        guard let runId = message["runId"]?.string else { return .failure("this message needs \"runId\"") }
        do { return try body(runId) } catch { return .failure(error.description) }
    }

    /// A session a user may type into, resize or close: not one the gateway runs for itself.
    private func withTerminal(_ message: JSON, _ body: (String) throws(SupervisorError) -> ClientConnection.Outcome) -> ClientConnection.Outcome {
        withSession(message) { (runId: String) throws(SupervisorError) -> ClientConnection.Outcome in
            if hub.isHidden(runId) { throw .unknownSession(runId) }
            return try body(runId)
        }
    }

    /// Parses `{kind, workspace, cols, rows, options}` and starts the session.
    func makeSession(_ request: JSON) -> Result<JSON, CreateError> {
        let kind = request["kind"]?.string ?? "pty"
        guard kind == "pty" || kind == "claude" else { return .failure(CreateError("unknown kind \(JSONString.quoted(kind))")) }
        let cols = request["cols"].map { $0.integer ?? -1 } ?? 80
        let rows = request["rows"].map { $0.integer ?? -1 } ?? 24
        do {
            try TerminalSize.validate(cols: cols, rows: rows)
        } catch {
            return .failure(CreateError(error.description))
        }
        let workspace: (name: String, path: String)
        do {
            if let name = request["workspace"]?.string, !name.isEmpty {
                workspace = (name, try workspaces.folder(name))
            } else {
                workspace = try workspaces.fresh()
            }
        } catch {
            return .failure(CreateError(error.description))
        }
        return start(kind == "claude" ? .claude : .pty, options: request["options"], workspace: workspace,
                     cols: UInt16(cols), rows: UInt16(rows))
    }

    struct CreateError: Error {
        let message: String
        let status: Int
        init(_ message: String, status: Int = 400) {
            self.message = message
            self.status = status
        }
    }
}

extension SupervisorError {
    var isLimit: Bool { if case .tooManySessions = self { true } else { false } }
    /// The HTTP status of a failed start.
    var startStatus: Int { self == .shuttingDown || isLimit ? 503 : 500 }
}
