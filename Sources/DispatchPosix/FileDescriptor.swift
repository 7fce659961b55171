import CDispatchSys
import Glibc

/// The single owner of an open file descriptor: it closes it exactly once, explicitly or when
/// the owner goes away. Loop-confined like everything that holds it.
public final class FileDescriptor {
    public private(set) var raw: Int32
    /// Sockets are written with send(MSG_NOSIGNAL) so a vanished peer is an error, not a SIGPIPE.
    private let isSocket: Bool

    public init(adopting raw: Int32, isSocket: Bool = false) {
        self.raw = raw
        self.isSocket = isSocket
    }

    public var isOpen: Bool { raw >= 0 }

    public func close() {
        guard raw >= 0 else { return }
        Glibc.close(raw)
        raw = -1
    }

    deinit { close() }

    /// Reads into `buffer`; nil means "would block", 0 means end of file.
    /// A pty master reports EIO once the last slave fd is closed: that is end of file too.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        while true {
            let n = Glibc.read(raw, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN: return nil
            case EIO: return 0
            default: throw SystemError("read")
            }
        }
    }

    /// Writes what it can without blocking; returns how many bytes went.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        guard bytes.count > 0 else { return 0 }
        while true {
            let n = isSocket
                ? dsys_send(raw, bytes.baseAddress, bytes.count)
                : Glibc.write(raw, bytes.baseAddress, bytes.count)
            if n >= 0 { return n }
            switch errno {
            case EINTR: continue
            case EAGAIN: return 0
            default: throw SystemError("write")
            }
        }
    }

    public func setNonBlocking(_ on: Bool = true) throws(SystemError) {
        try check("fcntl") { dsys_set_nonblocking(raw, on ? 1 : 0) }
    }

    /// A pipe whose ends are both close-on-exec.
    public static func pipe() throws(SystemError) -> (read: FileDescriptor, write: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        try check("pipe2") { dsys_pipe(&fds) }
        return (FileDescriptor(adopting: fds[0]), FileDescriptor(adopting: fds[1]))
    }
}
