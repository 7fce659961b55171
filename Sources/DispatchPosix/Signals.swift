import CDispatchSys
import Glibc

public enum Signals {
    /// Blocks `signals` for this thread and those it creates later, and returns an fd that reads them.
    /// Call before any thread starts, or another thread may take the signal.
    public static func descriptor(for signals: [Int32]) throws(SystemError) -> FileDescriptor {
        let fd = try check("signalfd") { signals.withUnsafeBufferPointer { dsys_signalfd($0.baseAddress, Int32($0.count)) } }
        return FileDescriptor(adopting: fd)
    }

    /// The next pending signal on a descriptor from `descriptor(for:)`, nil when none is pending.
    public static func next(on fd: FileDescriptor) -> Int32? {
        let signal = dsys_signalfd_next(fd.raw)
        return signal > 0 ? signal : nil
    }

    public static func ignore(_ signal: Int32) {
        Glibc.signal(signal, SIG_IGN)
    }
}
