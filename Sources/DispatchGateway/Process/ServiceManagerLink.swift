import DispatchPosix
import Glibc

/// What systemd hears from a `Type=notify` gateway: READY=1 once the port listens, STATUS= when the
/// summary changes, WATCHDOG=1 at half of WatchdogSec, STOPPING=1 at shutdown. The pings come from a
/// timer on the gateway's event loop, so a loop that hangs stops them and systemd restarts us.
/// Loop-confined.
final class ServiceManagerLink {
    /// STATUS= is refreshed this often when no faster watchdog sets the pace.
    static let statusInterval: Duration = .seconds(10)

    private let notifier: SystemdNotifier
    private let watchdogInterval: Duration?
    private let loop: EventLoop
    private let status: () -> String
    private var lastStatus = ""
    /// After STOPPING=1 the status stays "shutting down"; the watchdog pings go on until exit.
    private var stopping = false

    /// Nil when no service manager listens (NOTIFY_SOCKET unset).
    init?(environment: [String: String], loop: EventLoop, status: @escaping () -> String) {
        guard let notifier = SystemdNotifier(environment: environment) else { return nil }
        self.notifier = notifier
        watchdogInterval = SystemdNotifier.watchdogInterval(environment: environment)
        self.loop = loop
        self.status = status
    }

    func ready() {
        lastStatus = status()
        send("READY=1\nSTATUS=\(lastStatus)")
        scheduleTick()
    }

    func shuttingDown() {
        stopping = true
        send("STOPPING=1\nSTATUS=shutting down")
    }

    private func scheduleTick() {
        let interval = min(watchdogInterval ?? Self.statusInterval, Self.statusInterval)
        loop.schedule(after: interval) { [weak self] in self?.tick() }
    }

    private func tick() {
        var lines: [String] = []
        if watchdogInterval != nil { lines.append("WATCHDOG=1") }
        let current = status()
        if current != lastStatus, !stopping {
            lastStatus = current
            lines.append("STATUS=\(current)")
        }
        if !lines.isEmpty { send(lines.joined(separator: "\n")) }
        scheduleTick()
    }

    private func send(_ state: String) {
        if !notifier.notify(state) {
            Log.warn("cannot notify the service manager", [("socket", notifier.socketPath), ("error", String(cString: strerror(errno)))])
        }
    }
}
