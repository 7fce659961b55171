import CDispatchSys
import Glibc

/// How a child ended, decoded from waitpid's status.
public enum ChildExit: Equatable, Sendable {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }
}

public enum Processes {
    /// Reaps `pid` if it has ended; nil while it runs (or if someone else reaped it).
    public static func reap(_ pid: pid_t) -> ChildExit? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return ChildExit(waitStatus: status) }
            if result < 0 && errno == EINTR { continue }
            return nil
        }
    }

    /// Reaps every ended child, known or orphaned; what a PID 1 or a subreaper must do.
    public static func reapAny() -> [(pid: pid_t, exit: ChildExit)] {
        var reaped: [(pid_t, ChildExit)] = []
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 {
                reaped.append((pid, ChildExit(waitStatus: status)))
            } else if pid < 0 && errno == EINTR {
                continue
            } else {
                return reaped
            }
        }
    }

    /// A pidfd that becomes readable when `pid` ends.
    public static func exitNotifier(for pid: pid_t) throws(SystemError) -> FileDescriptor {
        FileDescriptor(adopting: try check("pidfd_open") { dsys_pidfd_open(pid) })
    }

    /// Signals the process behind a pidfd from `exitNotifier`; one that is gone is not an error.
    public static func signal(pidfd: FileDescriptor, _ signal: Int32) {
        _ = dsys_pidfd_send_signal(pidfd.raw, signal)
    }

    /// The command line of a running process (from /proc), nil if it is gone or unreadable.
    public static func commandLine(of pid: pid_t) -> [String]? {
        let fd = open("/proc/\(pid)/cmdline", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }

    /// Makes orphaned descendants our children, so we can reap them (PR_SET_CHILD_SUBREAPER).
    public static func becomeSubreaper() throws(SystemError) {
        try check("prctl") { dsys_set_child_subreaper() }
    }

    /// Sends `signal` to a process group; a group that is already gone is not an error.
    public static func signalGroup(_ group: pid_t, _ signal: Int32) {
        _ = kill(-group, signal)
    }

    public static func signal(_ pid: pid_t, _ signal: Int32) {
        _ = kill(pid, signal)
    }
}

public enum ResourceLimits {
    /// Raises the soft open-files limit to the hard one: every connection and session costs fds, and
    /// the default soft limit (often 1024) is far below what the connection limits allow.
    @discardableResult
    public static func raiseOpenFiles() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }
}
