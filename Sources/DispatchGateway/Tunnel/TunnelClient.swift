import DispatchPosix
import Glibc

/// Runs the tunnel client for public access, reads the URL it prints, restarts it with backoff when
/// it dies, and ends its whole process group on stop. Loop-confined.
public final class TunnelClient {
    /// What to run: TUNNEL_COMMAND through /bin/sh, else LocalTunnel's `lt` when it is on the PATH;
    /// nil when neither is there.
    public static func launch(_ settings: TunnelSettings, port: Int, findProgram: (String) -> String?) -> [String]? {
        if let command = settings.command { return ["/bin/sh", "-c", command] }
        guard let lt = findProgram("lt") else { return nil }
        return [lt, "--port", "\(port)"] + (settings.subdomain.map { ["--subdomain", $0] } ?? [])
    }

    /// A tunnel that runs a while has earned a quick restart; one that cannot start is retried, slowly,
    /// for ever: a network outage ends some day, and the rest of the gateway does not depend on it.
    static let restartSettings = RestartPolicy.Settings(initialBackoff: .seconds(1), maxBackoff: .seconds(60), maxRestarts: .max,
                                                        window: .seconds(60), stableAfter: .seconds(60))

    private struct Running {
        let pid: pid_t
        let exitNotifier: FileDescriptor
        let exitRegistration: EventLoop.Registration
        var output: FileDescriptor?
        var outputRegistration: EventLoop.Registration?
        var scanner: PublicURLScanner
    }

    private let argv: [String]
    private let environment: [String]
    private let urlMatch: String?
    private let loop: EventLoop
    private var policy = RestartPolicy(settings: TunnelClient.restartSettings)
    private var running: Running?
    private var restartTimer: EventLoop.Timer?
    private var stopped = false
    /// The public URL appeared (a string) or went away with the client (nil).
    public var onURL: (String?) -> Void = { _ in }

    /// `environment` is the session allow-list (never the key), PORT is added.
    public init(argv: [String], environment: [String], port: Int, urlMatch: String?, loop: EventLoop) {
        self.argv = argv
        self.environment = environment.filter { !$0.hasPrefix("PORT=") } + ["PORT=\(port)"]
        self.urlMatch = urlMatch
        self.loop = loop
    }

    public func start() {
        restartTimer = nil
        guard !stopped else { return }
        do {
            try spawn()
        } catch {
            Log.warn("cannot start the tunnel", [("command", argv.joined(separator: " ")), ("error", "\(error)")])
            scheduleRestart()
        }
    }

    /// Ends the client and its children (SIGTERM to its process group); no more restarts.
    public func stop() {
        stopped = true
        if let restartTimer { loop.cancel(restartTimer) }
        restartTimer = nil
        if let running { Processes.signalGroup(running.pid, SIGTERM) }
    }

    /// At exit: whatever of the client's group is still there is killed, not left behind, and the
    /// client is reaped before we go (a zombie handed to init would outlive us).
    public func finish() {
        stop()
        guard let running else { return }
        Processes.signalGroup(running.pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(running.pid, &status, 0) < 0 && errno == EINTR {}
        ended()
    }

    private func spawn() throws(SystemError) {
        let pipe = try FileDescriptor.pipe()
        let command = Command(executable: argv[0], arguments: Array(argv.dropFirst()), environment: environment, directory: "/")
        // Its own session and process group, so that stop() reaches what a shell command started.
        let pid = try Spawn.process(command, stdin: -1, stdout: pipe.write.raw, stderr: pipe.write.raw, newSession: true)
        pipe.write.close()
        policy.started(at: .now)
        let exitNotifier = try Processes.exitNotifier(for: pid)
        let exitRegistration = try loop.register(exitNotifier.raw, for: .readable) { [unowned self] _ in exited() }
        running = Running(pid: pid, exitNotifier: exitNotifier, exitRegistration: exitRegistration, scanner: PublicURLScanner(match: urlMatch))
        try pipe.read.setNonBlocking()
        running?.outputRegistration = try loop.register(pipe.read.raw, for: .readable) { [unowned self] _ in readOutput() }
        running?.output = pipe.read
        Log.info("tunnel started", [("pid", "\(pid)"), ("command", argv.joined(separator: " "))])
    }

    /// True when it read something (there may be more).
    @discardableResult
    private func readOutput() -> Bool {
        guard let output = running?.output else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        guard let count = buffer.withUnsafeMutableBytes({ try? output.read(into: $0) }) else { return false }  // would block
        guard count > 0 else {
            closeOutput()
            return false
        }
        guard let (lines, url) = running?.scanner.feed(buffer[0..<count]) else { return false }
        for line in lines { Log.debug("tunnel output", [("line", line)]) }
        if let url {
            Log.info("tunnel is up", [("url", url)])
            onURL(url)
        }
        return true
    }

    private func closeOutput() {
        guard let output = running?.output, let registration = running?.outputRegistration else { return }
        loop.deregister(registration, fd: output.raw)
        output.close()
        running?.output = nil
        running?.outputRegistration = nil
    }

    private func exited() {
        guard let running else { return }
        // Nil when the SIGCHLD handler's reap-everything got there first; it has ended either way.
        let status = Processes.reap(running.pid)
        // Whatever it started in its group goes with it (a shell's `lt`, an ssh child).
        Processes.signalGroup(running.pid, SIGTERM)
        ended()
        guard !stopped else { return }
        Log.warn("tunnel ended; restarting it", [("status", status.map { "\($0)" } ?? "unknown")])
        scheduleRestart()
    }

    private func ended() {
        guard let current = running else { return }
        readRemainingOutput()
        closeOutput()
        loop.deregister(current.exitRegistration, fd: current.exitNotifier.raw)
        running = nil
        onURL(nil)
    }

    /// A client that prints its URL and dies at once still gets its last lines read.
    private func readRemainingOutput() {
        while readOutput() {}
    }

    private func scheduleRestart() {
        guard case .restart(let delay, _) = policy.died(at: .now) else { return }
        restartTimer = loop.schedule(after: delay) { [weak self] in self?.start() }
    }
}
