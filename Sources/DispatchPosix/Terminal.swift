import CDispatchSys
import Glibc

public enum Terminal {
    /// Sets the window size; the kernel then sends SIGWINCH to the terminal's foreground process group.
    public static func resize(_ master: FileDescriptor, cols: UInt16, rows: UInt16) throws(SystemError) {
        try check("TIOCSWINSZ") { dsys_set_winsize(master.raw, cols, rows) }
    }

    public static func size(of fd: FileDescriptor) throws(SystemError) -> (cols: UInt16, rows: UInt16) {
        var cols: UInt16 = 0, rows: UInt16 = 0
        try check("TIOCGWINSZ") { dsys_get_winsize(fd.raw, &cols, &rows) }
        return (cols, rows)
    }

    /// The terminal's foreground process group, nil when it has none.
    public static func foregroundGroup(of master: FileDescriptor) -> pid_t? {
        let group = tcgetpgrp(master.raw)
        return group > 0 ? group : nil
    }
}
