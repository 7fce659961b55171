import DispatchPosix
import Glibc

/// The whole life of a `dispatch-gateway` process; `main.swift` only calls this.
///
/// It may be PID 1 in a container: it becomes a subreaper, reaps every child (orphans included) on
/// SIGCHLD, and turns SIGTERM/SIGINT into a graceful shutdown that ends every session and exits 0.
public enum GatewayMain {
    public static let version = "0.1.0"

    public static func run(arguments: [String], environment: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return 0
        }
        if arguments.contains("--version") {
            print("dispatch-gateway \(version)")
            return 0
        }
        let config = GatewayConfig(environment: environment)
        do {
            // Before any thread exists, so that no other thread takes these signals.
            let signals = try Signals.descriptor(for: [SIGTERM, SIGINT, SIGCHLD])
            Signals.ignore(SIGPIPE)
            try Processes.becomeSubreaper()
            try config.prepareFolders()
            let loop = try EventLoop()
            var settings = Supervisor.Settings(runtimeDirectory: config.runtimeDirectory, workerExecutable: config.workerExecutable)
            settings.maxSessions = config.maxSessions
            let supervisor = try Supervisor(settings: settings, loop: loop)
            let registration = try loop.register(signals.raw, for: .readable) { _ in
                while let signal = Signals.next(on: signals) {
                    if signal == SIGCHLD {
                        supervisor.reapChildren()
                    } else {
                        Log.info("shutting down", [("signal", "\(signal)")])
                        supervisor.shutdown { loop.stop() }
                    }
                }
            }
            Log.info("dispatch-gateway started", [("home", config.home), ("workers", config.workerExecutable)])
            loop.run()
            loop.deregister(registration, fd: signals.raw)
            supervisor.reapChildren()
            Log.info("dispatch-gateway stopped")
            return 0
        } catch {
            Log.error("dispatch-gateway cannot start: \(error)")
            return 1
        }
    }

    static let usage = """
        usage: dispatch-gateway [--help] [--version]
        Serves terminals and Claude Code sessions; each session runs in its own dispatch-worker process.
        Configured by environment variables (see README.md): DISPATCH_HOME, WORKSPACES_ROOT, MAX_SESSIONS,
        DISPATCH_WORKER_BIN.
        """
}
