import DispatchPosix
import Glibc

/// Settings from the environment, each with a default so a bare `dispatch-gateway` runs. A bad value
/// stops the start with one line naming the variable.
public struct GatewayConfig: Sendable {
    public var home: String
    public var workspacesRoot: String
    public var workerExecutable: String
    public var staticRoot: String
    public var host: String
    public var port: Int
    public var maxSessions: Int
    public var allowedOrigins: [String]
    public var allowedHosts: [String]
    public var secureCookies: Bool
    public var logLevel: Log.Level
    public var logFormat: Log.Format
    public var testEchoEndpoint: Bool
    public var databasePath: String
    public var retentionDays: Int
    public var retentionBytesPerSession: Int
    public var pruneIntervalSeconds: Int
    /// `CLAUDE_BIN`: the Claude Code CLI, a name on PATH or a path.
    public var claudeExecutable: String
    /// `CLAUDE_CONFIG_DIR`, handed to Claude processes when set.
    public var claudeConfigDirectory: String?
    /// `PTY_MODE=claude`: new terminals run the `claude` TUI (a shell when it is missing).
    public var terminalsRunClaude: Bool
    /// `DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS` (for tests): one limit for every step of a browser login.
    public var claudeLoginTimeoutSeconds: Int?
    /// How long a worker keeps its session while no gateway runs (a restart, or a crash).
    public var orphanTimeoutSeconds: Int
    public var tunnel: TunnelSettings

    public struct Invalid: Error, CustomStringConvertible {
        public let variable: String
        public let value: String
        public let problem: String
        public var description: String { "\(variable)=\(JSONString.quoted(value)) is invalid: \(problem)" }

        public init(variable: String, value: String, expected: String) {
            self.init(variable: variable, value: value, problem: "expected \(expected)")
        }

        public init(variable: String, value: String, problem: String) {
            self.variable = variable
            self.value = value
            self.problem = problem
        }
    }

    public init(environment values: [String: String]) throws(Invalid) {
        let userHome = values["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root"
        home = values["DISPATCH_HOME"] ?? userHome + "/.dispatch"
        workspacesRoot = values["WORKSPACES_ROOT"] ?? home + "/workspaces"
        workerExecutable = values["DISPATCH_WORKER_BIN"] ?? Self.siblingExecutable("dispatch-worker")
        staticRoot = values["DISPATCH_STATIC_DIR"] ?? Self.defaultStaticRoot()
        host = values["HOST"] ?? "127.0.0.1"
        guard !host.isEmpty else { throw Invalid(variable: "HOST", value: host, expected: "an address or host name to listen on") }
        port = try Self.integer(values, "PORT", default: 3030, in: 0...65535)
        maxSessions = try Self.integer(values, "MAX_SESSIONS", default: 200, in: 1...10_000)
        allowedOrigins = Self.list(values["ALLOWED_ORIGINS"])
        allowedHosts = Self.list(values["ALLOWED_HOSTS"])
        secureCookies = try Self.flag(values, "COOKIE_SECURE")
        testEchoEndpoint = try Self.flag(values, "DISPATCH_TEST_ECHO")
        databasePath = values["DATABASE_PATH"] ?? home + "/dispatch.db"
        retentionDays = try Self.integer(values, "RETENTION_DAYS", default: 30, in: 1...36500)
        retentionBytesPerSession = try Self.integer(values, "RETENTION_MB_PER_SESSION", default: 64, in: 1...1_000_000) << 20
        pruneIntervalSeconds = try Self.integer(values, "RETENTION_PRUNE_SECONDS", default: 600, in: 1...86_400)
        claudeExecutable = values["CLAUDE_BIN"].flatMap { $0.isEmpty ? nil : $0 } ?? "claude"
        claudeConfigDirectory = values["CLAUDE_CONFIG_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        let ptyMode = values["PTY_MODE"] ?? "shell"
        guard ptyMode == "shell" || ptyMode == "claude" else { throw Invalid(variable: "PTY_MODE", value: ptyMode, expected: "shell or claude") }
        terminalsRunClaude = ptyMode == "claude"
        claudeLoginTimeoutSeconds = values["DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS"] == nil ? nil
            : try Self.integer(values, "DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS", default: 0, in: 1...86_400)
        orphanTimeoutSeconds = try Self.integer(values, "DISPATCH_ORPHAN_TIMEOUT", default: 3600, in: 1...31_536_000)
        let level = values["LOG_LEVEL"] ?? "info"
        guard let parsed = Log.Level(name: level) else {
            throw Invalid(variable: "LOG_LEVEL", value: level, expected: "debug, info, warn or error")
        }
        logLevel = parsed
        logFormat = try Self.logFormat(values)
        tunnel = try TunnelSettings(environment: values)
        for (variable, path) in [("DISPATCH_HOME", home), ("WORKSPACES_ROOT", workspacesRoot), ("DATABASE_PATH", databasePath)] where !path.hasPrefix("/") {
            throw Invalid(variable: variable, value: path, expected: "an absolute path")
        }
    }

    public var runtimeDirectory: String { home + "/run" }

    /// `LOG_FORMAT` on its own, so that a mistake in another variable is already told in the chosen format.
    public static func logFormat(_ values: [String: String]) throws(Invalid) -> Log.Format {
        let text = values["LOG_FORMAT"] ?? "json"
        guard let format = Log.Format(rawValue: text) else { throw Invalid(variable: "LOG_FORMAT", value: text, expected: "json or text") }
        return format
    }

    /// Creates the state and workspace folders (not their parents: a missing parent is a typo more
    /// often than a wish) and checks that the database's folder exists.
    func prepareFolders() throws(Invalid) {
        for (variable, path) in [("DISPATCH_HOME", home), ("WORKSPACES_ROOT", workspacesRoot)] {
            try FolderCheck.create(path, variable: variable)
        }
        try FolderCheck.existingParent(of: databasePath, variable: "DATABASE_PATH")
    }

    private static func integer(_ values: [String: String], _ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(Invalid) -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw Invalid(variable: name, value: text, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func flag(_ values: [String: String], _ name: String) throws(Invalid) -> Bool {
        guard let text = values[name] else { return false }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw Invalid(variable: name, value: text, expected: "true or false")
        }
    }

    private static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { String($0.trimmingSpaces) }.filter { !$0.isEmpty }
    }

    /// The worker ships next to the gateway (both in .build/release, /usr/local/bin or the image).
    static func siblingExecutable(_ name: String) -> String {
        executableDirectory().map { $0 + "/" + name } ?? name
    }

    /// An installed `share/dispatch/static` next to `bin/`, else `static/` in the working directory (a checkout).
    private static func defaultStaticRoot() -> String {
        if let bin = executableDirectory() {
            let installed = bin + "/../share/dispatch/static"
            if access(installed, R_OK) == 0 { return installed }
        }
        return "static"
    }

    private static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.lastIndex(of: "/").map { String(path[..<$0]) }
    }
}
