import CDispatchSys
import Glibc

public enum UnixSocket {
    /// A non-blocking listening socket at `path`; a stale socket file left by a dead process is replaced.
    public static func listen(at path: String, backlog: Int32 = 128) throws(SystemError) -> FileDescriptor {
        unlink(path)
        let fd = try check("listen \(path)") { dsys_unix_listen(path, backlog) }
        return FileDescriptor(adopting: fd, isSocket: true)
    }

    /// A blocking connection to `path` (the caller makes it non-blocking once set up).
    public static func connect(to path: String) throws(SystemError) -> FileDescriptor {
        let fd = try check("connect \(path)") { dsys_unix_connect(path) }
        return FileDescriptor(adopting: fd, isSocket: true)
    }

    /// The next pending connection, non-blocking and close-on-exec; nil when none is waiting.
    public static func accept(from listener: FileDescriptor) throws(SystemError) -> FileDescriptor? {
        while true {
            let fd = dsys_accept(listener.raw)
            if fd >= 0 { return FileDescriptor(adopting: fd, isSocket: true) }
            switch errno {
            case EINTR, ECONNABORTED: continue
            case EAGAIN: return nil
            default: throw SystemError("accept")
            }
        }
    }

    /// Who is on the other end, as the kernel saw it at connect time (SO_PEERCRED).
    public static func peer(of socket: FileDescriptor) throws(SystemError) -> (pid: pid_t, uid: uid_t) {
        var pid: pid_t = 0
        var uid: uid_t = 0
        try check("SO_PEERCRED") { dsys_peer_credentials(socket.raw, &pid, &uid) }
        return (pid, uid)
    }
}
