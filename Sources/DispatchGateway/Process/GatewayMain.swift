import DispatchPosix
import DispatchStore
import Foundation
import Glibc

/// The whole life of a `dispatch-gateway` process; `main.swift` only calls this.
///
/// It may be PID 1 in a container: it becomes a subreaper, reaps every child (orphans included) on
/// SIGCHLD, and turns SIGTERM/SIGINT into a graceful shutdown that ends every session and exits 0.
/// SIGUSR2 restarts keeping sessions (see `ShutdownMode`): it stores what it holds, lets the workers
/// go on, and exits 0; the next gateway on the same home adopts them.
public enum GatewayMain {
    public static let version = "0.2.0"

    public static func run(arguments: [String], environment: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(GatewayHelp.text)
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
        if let format = try? GatewayConfig.logFormat(values) { Log.format = format }
        do {
            let config = try GatewayConfig(environment: values)
            if arguments.contains("--health-check") { return HealthProbe.run(config) }
            if let unknown = arguments.first(where: { $0 != "--health-check" }) {
                Log.error("dispatch-gateway: unknown argument \(unknown); see --help")
                return 2
            }
            Log.minimumLevel = config.logLevel
            // Before any thread exists, so that no other thread takes these signals.
            let signals = try Signals.descriptor(for: ShutdownMode.signals + [SIGCHLD])
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
            supervisorSettings.orphanTimeoutSeconds = config.orphanTimeoutSeconds
            // Under systemd the lifeline decides whether a SIGTERM is a restart or a stop, so SIGTERM keeps sessions.
            let lifeline = Lifeline.obtain(environment: values)
            supervisorSettings.lifeline = lifeline?.readEnd.raw
            let keepSessionsOnTerm = lifeline != nil
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
            var onShutdown: () -> Void = {}
            var keptSessions = false
            let registration = try loop.register(signals.raw, for: .readable) { _ in
                while let signal = Signals.next(on: signals) {
                    switch ShutdownMode.of(signal: signal, keepSessionsOnTerm: keepSessionsOnTerm) {
                    case nil:  // SIGCHLD
                        supervisor.reapChildren()
                    case .stopSessions:
                        Log.info("shutting down", [("signal", "\(signal)")])
                        onShutdown()
                        supervisor.shutdown {
                            gateway.flush()
                            loop.stop()
                        }
                    case .keepSessions:
                        Log.info("restarting: sessions stay with their workers", [("signal", "\(signal)")])
                        onShutdown()
                        keptSessions = true
                        supervisor.releaseWorkers()
                        gateway.flush()
                        loop.stop()
                    }
                }
            }
            Log.info("dispatch-gateway listening", [("url", "http://\(config.host):\(gateway.port)"), ("home", config.home)])
            warnIfUnreachable(config)
            let tunnel = startTunnel(config, port: gateway.port, environment: environment, gateway: gateway, loop: loop)
            let serviceManager = ServiceManagerLink(environment: values, loop: loop) {
                let running = supervisor.list().filter { $0.status == .running }.count
                return "serving http://\(config.host):\(gateway.port); \(running) session\(running == 1 ? "" : "s") running"
            }
            serviceManager?.ready()
            onShutdown = {
                serviceManager?.shuttingDown()
                tunnel?.stop()
            }
            withExtendedLifetime((gateway, lifeline)) { loop.run() }
            tunnel?.finish()
            loop.deregister(registration, fd: signals.raw)
            supervisor.reapChildren()
            // Workers kept for the next gateway are still our children: not waited for.
            if !keptSessions, !Processes.reapRemaining(until: .now + supervisorSettings.shutdownGrace) {
                Log.warn("processes the sessions left behind were still running at exit")
            }
            Log.info("dispatch-gateway stopped")
            return 0
        } catch let invalid as GatewayConfig.Invalid {
            // Exit status 2: a configuration mistake, which restarting will not fix (RestartPreventExitStatus=2).
            Log.error("dispatch-gateway cannot start: \(invalid)")
            return 2
        } catch {
            Log.error("dispatch-gateway cannot start: \(error)")
            return 1
        }
    }

    /// ENABLE_TUNNEL: the tunnel client, or a warning saying why there is none (never a failed start).
    private static func startTunnel(_ config: GatewayConfig, port: Int, environment: [String], gateway: Gateway, loop: EventLoop) -> TunnelClient? {
        guard config.tunnel.enabled else { return nil }
        let tunnelEnvironment = WorkerEnvironment.build(from: environment)
        guard let argv = TunnelClient.launch(config.tunnel, port: port, findProgram: { ExecutableLookup.find($0, environment: tunnelEnvironment) }) else {
            Log.warn("ENABLE_TUNNEL is set but LocalTunnel's lt is not installed (npm install -g localtunnel) and TUNNEL_COMMAND is unset; running without a public URL")
            return nil
        }
        let tunnel = TunnelClient(argv: argv, environment: tunnelEnvironment, port: port,
                                  urlMatch: config.tunnel.urlMatch, loop: loop)
        tunnel.onURL = { [unowned gateway] url in gateway.tunnelURLChanged(url) }
        tunnel.start()
        return tunnel
    }

    /// On a non-loopback address the Host check lets in only ALLOWED_HOSTS: without any, every request is refused.
    private static func warnIfUnreachable(_ config: GatewayConfig) {
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(config.host) || config.host.hasPrefix("127.")
        if !loopback && config.allowedHosts.isEmpty && !config.tunnel.enabled {
            Log.warn("HOST is not loopback and ALLOWED_HOSTS is empty: every request will be refused (403); set ALLOWED_HOSTS to the names browsers use")
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
}
