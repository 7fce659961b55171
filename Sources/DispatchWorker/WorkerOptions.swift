import DispatchPosix

/// What a worker is told at spawn, on its command line. Nothing secret is here (argv is public in
/// /proc): the per-worker secret arrives on stdin.
public struct WorkerOptions: Equatable, Sendable {
    public enum Kind: String, Sendable { case pty, claude }

    public var sessionId: String
    public var kind: Kind = .pty
    public var directory: String
    public var cols: UInt16 = 80
    public var rows: UInt16 = 24
    public var socketPath: String
    /// Empty: the login shell from $SHELL, else /bin/bash.
    public var command: [String] = []
    /// How long the program keeps running while no gateway is connected.
    public var orphanTimeout = 3600
    /// An inherited pipe read end: its end of file means the service is stopping, so the session ends.
    public var lifeline: Int32?
    /// The gateway's LOG_FORMAT, so that its workers' lines (on the stderr they share) read the same.
    public var logFormat: Log.Format = .json
    /// The gateway's LOG_LEVEL, likewise.
    public var logLevel: Log.Level = .info

    public static let usage = """
        usage: dispatch-worker --session ID --socket PATH --cwd DIR [--kind pty] [--cols N] [--rows N]
                               [--orphan-timeout SECONDS] [--lifeline FD] [--log-format json|text]
                               [--log-level debug|info|warn|error]
                               [-- PROGRAM ARGS...]
        Runs one Dispatch session's program on a pty and relays it to the gateway at PATH. Without a gateway
        the program keeps running for --orphan-timeout seconds (default 3600) while the worker waits for one.
        Started by dispatch-gateway, which writes the worker's secret to its stdin; not meant to be run by hand.
        """

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case missing(String)
        case badValue(option: String, value: String)
        case unknown(String)

        public var description: String {
            switch self {
            case .missing(let option): "missing \(option)"
            case .badValue(let option, let value): "bad value for \(option): \(value)"
            case .unknown(let option): "unknown option \(option)"
            }
        }
    }

    public static func parse(_ arguments: [String]) throws(ParseError) -> WorkerOptions {
        var values: [String: String] = [:]
        var command: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                command = Array(arguments[(index + 1)...])
                break
            }
            guard ["--session", "--kind", "--cwd", "--cols", "--rows", "--socket", "--orphan-timeout", "--lifeline",
                   "--log-format", "--log-level"].contains(argument) else {
                throw .unknown(argument)
            }
            guard index + 1 < arguments.count else { throw .missing("value for \(argument)") }
            values[argument] = arguments[index + 1]
            index += 2
        }
        guard let session = values["--session"], !session.isEmpty else { throw .missing("--session") }
        guard let socket = values["--socket"] else { throw .missing("--socket") }
        guard let directory = values["--cwd"] else { throw .missing("--cwd") }
        var options = WorkerOptions(sessionId: session, directory: directory, socketPath: socket, command: command)
        if let kind = values["--kind"] {
            guard let parsed = Kind(rawValue: kind) else { throw .badValue(option: "--kind", value: kind) }
            options.kind = parsed
        }
        options.cols = try dimension("--cols", values["--cols"]) ?? options.cols
        options.rows = try dimension("--rows", values["--rows"]) ?? options.rows
        if let text = values["--orphan-timeout"] {
            guard let seconds = Int(text), (1...31_536_000).contains(seconds) else { throw .badValue(option: "--orphan-timeout", value: text) }
            options.orphanTimeout = seconds
        }
        if let text = values["--lifeline"] {
            guard let fd = Int32(text), fd > 2 else { throw .badValue(option: "--lifeline", value: text) }
            options.lifeline = fd
        }
        if let text = values["--log-format"] {
            guard let format = Log.Format(rawValue: text) else { throw .badValue(option: "--log-format", value: text) }
            options.logFormat = format
        }
        if let text = values["--log-level"] {
            guard let level = Log.Level(name: text) else { throw .badValue(option: "--log-level", value: text) }
            options.logLevel = level
        }
        return options
    }

    private static func dimension(_ option: String, _ value: String?) throws(ParseError) -> UInt16? {
        guard let value else { return nil }
        guard let number = UInt16(value), number > 0 else { throw .badValue(option: option, value: value) }
        return number
    }
}
