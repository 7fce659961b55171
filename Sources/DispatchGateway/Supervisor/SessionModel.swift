import DispatchWire

public enum SessionKind: String, Sendable, Equatable {
    case pty, claude
}

public enum SessionStatus: String, Sendable, Equatable {
    case starting, running, stopped, error
}

/// What a new session runs. The environment is complete and already filtered: the worker and the
/// program get exactly this, so gateway secrets can never leak into a shell by inheritance.
public struct SessionSpec: Sendable, Equatable {
    public var kind: SessionKind
    public var directory: String
    /// Empty: the user's login shell.
    public var command: [String]
    public var cols: UInt16
    public var rows: UInt16
    public var environment: [String]
    /// Entries for the program only (Claude's credentials): handed to the worker on its stdin, never
    /// in its argv or its own environment.
    public var privateEnvironment: [String]

    public init(kind: SessionKind = .pty, directory: String, command: [String] = [], cols: UInt16 = 80, rows: UInt16 = 24,
                environment: [String], privateEnvironment: [String] = []) {
        self.kind = kind
        self.directory = directory
        self.command = command
        self.cols = cols
        self.rows = rows
        self.environment = environment
        self.privateEnvironment = privateEnvironment
    }
}

/// A session as the outside sees it.
public struct SessionInfo: Sendable, Equatable {
    public var id: String
    public var kind: SessionKind
    public var status: SessionStatus
    public var directory: String
    public var restarts: Int
    public var lastSeq: UInt64
    public var workerPid: Int32?
    public var programPid: Int32?
    /// Why the session is in `error`, or how its program ended.
    public var detail: String?
}

/// One entry of a session's event stream. `seq` starts at 1 and grows by one per event, across
/// worker restarts.
public struct SessionEvent: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        /// Terminal output, never split inside a UTF-8 character.
        case output(String)
        /// The program ended.
        case exit(ProgramExit)
        /// The session's life: started, restarted, crashed, error, stopped.
        case status(StatusChange)
        /// A kind-specific event from the worker (Claude's stream-json lines).
        case worker(channel: String, payload: [UInt8])
    }

    public var seq: UInt64
    public var body: Body

    public var channel: String {
        switch body {
        case .output: "pty:stdout"
        case .exit: "pty:exit"
        case .status: "system:status"
        case .worker(let channel, _): channel
        }
    }
}

public struct StatusChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case started, restarted, crashed, error, stopped }
    public var kind: Kind
    public var restarts: Int
    public var detail: String?
}

public enum SupervisorError: Error, Equatable, CustomStringConvertible {
    case unknownSession(String)
    case notRunning(String)
    case invalidSize(cols: Int, rows: Int)
    case tooManySessions(limit: Int)
    case shuttingDown
    case spawnFailed(String)
    case duplicateSession(String)
    case stillRunning(String)

    public var description: String {
        switch self {
        case .unknownSession(let id): "no session \(id)"
        case .notRunning(let id): "session \(id) is not running"
        case .invalidSize(let cols, let rows): "terminal size \(cols)x\(rows) is outside 1x1...\(TerminalSize.maxCols)x\(TerminalSize.maxRows)"
        case .tooManySessions(let limit): "too many running sessions (the limit is \(limit))"
        case .shuttingDown: "the gateway is shutting down"
        case .spawnFailed(let reason): "cannot start the session's worker: \(reason)"
        case .duplicateSession(let id): "session \(id) exists already"
        case .stillRunning(let id): "session \(id) is still running; end it first"
        }
    }
}

public enum TerminalSize {
    public static let maxCols = 1000
    public static let maxRows = 1000

    public static func validate(cols: Int, rows: Int) throws(SupervisorError) {
        guard (1...maxCols).contains(cols), (1...maxRows).contains(rows) else {
            throw .invalidSize(cols: cols, rows: rows)
        }
    }
}
