import CDispatchSys
import Glibc

public enum Terminal {
    /// Sets the window size; the kernel then sends SIGWINCH to the terminal's foreground process group.
    public static func resize(_ master: FileDescriptor, cols: UInt16, rows: UInt16) throws(SystemError) {
        try check("TIOCSWINSZ") { dsys_set_winsize(master.raw, cols, rows) }
    }

    /// The terminal's foreground process group, nil when it has none.
    public static func foregroundGroup(of master: FileDescriptor) -> pid_t? {
        let group = tcgetpgrp(master.raw)
        return group > 0 ? group : nil
    }
}
