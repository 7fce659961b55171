import CDispatchSys
import Glibc

public enum TCPSocket {
    /// A non-blocking listener; `port` 0 picks a free one, reported in the result.
    public static func listen(host: String, port: Int, backlog: Int32 = 512) throws(SystemError) -> (socket: FileDescriptor, port: Int) {
        var bound: Int32 = 0
        let fd = try check("listen on \(host):\(port)") { dsys_tcp_listen(host, Int32(port), backlog, &bound) }
        return (FileDescriptor(adopting: fd, isSocket: true), Int(bound))
    }

    /// The next pending connection (non-blocking, close-on-exec, Nagle off: keystrokes must not wait
    /// for delayed ACKs) and its peer address; nil when none is waiting.
    public static func accept(from listener: FileDescriptor) throws(SystemError) -> (socket: FileDescriptor, peer: String)? {
        guard let socket = try UnixSocket.accept(from: listener) else { return nil }
        _ = dsys_tcp_nodelay(socket.raw)
        var text = [CChar](repeating: 0, count: 64)
        let peer = dsys_peer_address(socket.raw, &text, text.count) == 0
            ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
        return (socket, peer)
    }
}
