import CDispatchSys
import Glibc

/// The service manager's notification socket (`sd_notify` without libsystemd): readiness, status
/// text, watchdog pings and descriptors for systemd's fd store, each one datagram to `$NOTIFY_SOCKET`.
public struct SystemdNotifier: Sendable {
    public let socketPath: String

    /// Nil when `NOTIFY_SOCKET` is unset or not a socket path (not started by a service manager).
    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], path.hasPrefix("/") || path.hasPrefix("@"), path.count > 1 else {
            return nil
        }
        socketPath = path
    }

    /// Sends `state` (newline-separated `KEY=value` assignments such as `READY=1\nSTATUS=...`), with
    /// `descriptors` attached (e.g. `FDSTORE=1`). False when the datagram could not be sent.
    public func notify(_ state: String, descriptors: [Int32] = []) -> Bool {
        descriptors.withUnsafeBufferPointer { fds in
            dsys_notify(socketPath, state, fds.baseAddress, Int32(fds.count)) == 0
        }
    }

    /// How often to send `WATCHDOG=1`: half of `WATCHDOG_USEC`, so one late ping is not yet fatal.
    /// Nil when no watchdog is set, or when `WATCHDOG_PID` names another process (the watchdog is
    /// then meant for it, not for us).
    public static func watchdogInterval(environment: [String: String]) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else { return nil }
        if let pidText = environment["WATCHDOG_PID"], !pidText.isEmpty {
            guard let pid = pid_t(pidText), pid == getpid() else { return nil }
        }
        return .microseconds(Int64(clamping: microseconds / 2))
    }
}
