import DispatchPosix
import DispatchStore
import Foundation
import Glibc

/// The whole life of a `dispatch-gateway` process; `main.swift` only calls this.
///
/// It may be PID 1 in a container: it becomes a subreaper, reaps every child (orphans included) on
/// SIGCHLD, and turns SIGTERM/SIGINT into a graceful shutdown that ends every session and exits 0.
public enum GatewayMain {
    public static let version = "0.2.0"

    public static func run(arguments: [String], environment: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return 0
        }
        if arguments.contains("--version") {
            print("dispatch-gateway \(version)")
            return 0
        }
        var values: [String: String] = [:]
        for entry in environment {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        do {
            let config = try GatewayConfig(environment: values)
            Log.minimumLevel = config.logLevel
            // Before any thread exists, so that no other thread takes these signals.
            let signals = try Signals.descriptor(for: [SIGTERM, SIGINT, SIGCHLD])
            Signals.ignore(SIGPIPE)
            try Processes.becomeSubreaper()
            ResourceLimits.raiseOpenFiles()
            try config.prepareFolders()
            let (key, source) = try KeyStore.load(environment: values, home: config.home)
            announce(source, config: config)
            let store = try EventStore(path: config.databasePath)
            let loop = try EventLoop()
            var supervisorSettings = Supervisor.Settings(runtimeDirectory: config.runtimeDirectory, workerExecutable: config.workerExecutable)
            supervisorSettings.maxSessions = config.maxSessions
            supervisorSettings.acknowledgeOnlyStored = true
            // Small enough that ^C in a flood stops the output quickly (the pty drops what is unread),
            // large enough to keep the relay at full speed with one store flush per loop turn.
            supervisorSettings.window = 256 * 1024
            let supervisor = try Supervisor(settings: supervisorSettings, loop: loop)
            var settings = Gateway.Settings(key: key, workspacesRoot: config.workspacesRoot, staticRoot: config.staticRoot,
                                            sessionEnvironment: WorkerEnvironment.build(from: environment))
            settings.host = config.host
            settings.port = config.port
            settings.allowedOrigins = config.allowedOrigins
            settings.allowedHosts = config.allowedHosts
            settings.secureCookies = config.secureCookies
            settings.echoEndpoint = config.testEchoEndpoint
            var claudeLogin = ClaudeLoginSettings(binary: config.claudeExecutable, home: config.home)
            claudeLogin.timeouts = config.claudeLoginTimeoutSeconds.map(ClaudeLoginTimeouts.init(everyStep:)) ?? ClaudeLoginTimeouts()
            claudeLogin.apiKeyInEnvironment = !(values["ANTHROPIC_API_KEY"] ?? "").isEmpty
            settings.claudeLogin = claudeLogin
            settings.claude.executable = config.claudeExecutable
            settings.claude.configDirectory = config.claudeConfigDirectory
            settings.claude.terminalsRunClaude = config.terminalsRunClaude
            settings.claude.credentials = ClaudeSessions.credentials(fromGatewayEnvironment: environment, tokens: ClaudeTokenStore(home: config.home))
            let gateway = try Gateway(settings: settings, supervisor: supervisor, store: store, loop: loop)
            let pruner = RetentionPruner(databasePath: config.databasePath, days: config.retentionDays,
                                             bytesPerSession: config.retentionBytesPerSession,
                                             interval: TimeInterval(config.pruneIntervalSeconds))
            pruner.start()
            let registration = try loop.register(signals.raw, for: .readable) { _ in
                while let signal = Signals.next(on: signals) {
                    if signal == SIGCHLD {
                        supervisor.reapChildren()
                    } else {
                        Log.info("shutting down", [("signal", "\(signal)")])
                        supervisor.shutdown {
                            gateway.flush()
                            loop.stop()
                        }
                    }
                }
            }
            Log.info("dispatch-gateway listening", [("url", "http://\(config.host):\(gateway.port)"), ("home", config.home)])
            withExtendedLifetime(gateway) { loop.run() }
            loop.deregister(registration, fd: signals.raw)
            supervisor.reapChildren()
            Log.info("dispatch-gateway stopped")
            return 0
        } catch {
            Log.error("dispatch-gateway cannot start: \(error)")
            return 1
        }
    }

    /// Where the key is, said once; never the key itself.
    private static func announce(_ source: KeyStore.Source, config: GatewayConfig) {
        switch source {
        case .generated(let path, true):
            Log.info("generated an access key; read it with: cat \(path)", [("keyFile", path)])
        case .generated(let path, false):
            Log.info("using the access key kept in \(path)")
        case .file(let path):
            Log.info("using the access key from TERMINAL_KEY_FILE", [("keyFile", path)])
        case .environment:
            Log.info("using the access key from TERMINAL_KEY (removed from the environment)")
        }
    }

    static let usage = """
        usage: dispatch-gateway [--help] [--version]
        Serves terminals and Claude Code sessions in the browser; each session runs in its own dispatch-worker.
        Configured by environment variables (see README.md): PORT, HOST, TERMINAL_KEY, TERMINAL_KEY_FILE,
        DISPATCH_HOME, WORKSPACES_ROOT, MAX_SESSIONS, ALLOWED_ORIGINS, ALLOWED_HOSTS, COOKIE_SECURE, LOG_LEVEL,
        DISPATCH_WORKER_BIN, DISPATCH_STATIC_DIR, PTY_MODE, CLAUDE_BIN, CLAUDE_CONFIG_DIR.
        """
}
