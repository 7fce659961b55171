import DispatchPosix
import Glibc

/// Under systemd, what tells a `systemctl restart` (keep the sessions) from a `systemctl stop` (end them),
/// which both reach the gateway as one SIGTERM: a pipe whose two ends the gateway puts in the service's
/// file-descriptor store (`FileDescriptorStoreMax=` in the unit). systemd keeps the store across a
/// restart and closes it when the service stops. Every worker inherits the read end; when the gateway
/// and systemd both have let go of the write end, the workers read end-of-file and end their programs.
/// A restarted gateway gets both ends back (`LISTEN_FDS`) and hands the same read end to new workers.
final class Lifeline {
    static let readName = "lifeline-read"
    static let writeName = "lifeline-write"

    /// What workers inherit.
    let readEnd: FileDescriptor
    /// Held, never written: while any copy of it is open, workers go on.
    private let writeEnd: FileDescriptor

    private init(readEnd: FileDescriptor, writeEnd: FileDescriptor) {
        self.readEnd = readEnd
        self.writeEnd = writeEnd
    }

    /// The lifeline systemd handed back, or a new one stored with systemd; nil without a service
    /// manager (NOTIFY_SOCKET unset) or when it will not take the pipe.
    static func obtain(environment: [String: String]) -> Lifeline? {
        guard let notifier = SystemdNotifier(environment: environment) else { return nil }
        if let passed = handedBack(environment) {
            Log.info("lifeline taken back from the service manager: sessions of the last run are adopted")
            return passed
        }
        do {
            let pipe = try FileDescriptor.pipe()
            guard notifier.notify("FDSTORE=1\nFDNAME=\(readName)", descriptors: [pipe.read.raw]),
                  notifier.notify("FDSTORE=1\nFDNAME=\(writeName)", descriptors: [pipe.write.raw]) else {
                Log.warn("the service manager did not take the lifeline: a restart will end the sessions",
                         [("error", String(cString: strerror(errno)))])
                return nil
            }
            return Lifeline(readEnd: pipe.read, writeEnd: pipe.write)
        } catch {
            Log.warn("cannot make the lifeline: a restart will end the sessions", [("error", error.description)])
            return nil
        }
    }

    /// Both ends among the descriptors passed by systemd (`LISTEN_FDS` from fd 3, named by `LISTEN_FDNAMES`),
    /// when they are meant for this process (`LISTEN_PID`).
    static func handedBack(_ environment: [String: String]) -> Lifeline? {
        guard environment["LISTEN_PID"].flatMap({ pid_t($0) }) == getpid(),
              let count = environment["LISTEN_FDS"].flatMap({ Int32($0) }), count > 0, count < 1024 else { return nil }
        let names = (environment["LISTEN_FDNAMES"] ?? "").split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let firstPassed: Int32 = 3
        for fd in firstPassed..<(firstPassed + count) {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // passed without it; our children get only what spawn hands them
        }
        guard let read = names.firstIndex(of: readName), let write = names.firstIndex(of: writeName),
              read < count, write < count else { return nil }
        return Lifeline(readEnd: FileDescriptor(adopting: firstPassed + Int32(read)),
                        writeEnd: FileDescriptor(adopting: firstPassed + Int32(write)))
    }
}
