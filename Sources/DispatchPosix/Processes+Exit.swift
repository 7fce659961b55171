import Glibc

extension Processes {
    /// Reaps children (orphans adopted as subreaper or PID 1) until none is left or `deadline`
    /// passes; true when none is left. A PID 1 does this before exiting: the kernel kills whatever
    /// remains in its namespace with SIGKILL when it goes, so a program still running its hang-up
    /// handler (saving a file, say) gets the moment it needs.
    public static func reapRemaining(until deadline: ContinuousClock.Instant) -> Bool {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid > 0 || (pid < 0 && errno == EINTR) { continue }
            if pid < 0 { return errno == ECHILD }
            if ContinuousClock.now >= deadline { return false }
            usleep(20_000)
        }
    }
}
