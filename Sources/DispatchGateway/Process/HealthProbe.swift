import CDispatchSys
import DispatchPosix
import Glibc

/// `dispatch-gateway --health-check`: asks the running gateway's `/health` over loopback and exits
/// 0 when it answers 200, 1 otherwise. For Docker's HEALTHCHECK in an image without curl.
enum HealthProbe {
    static func run(_ config: GatewayConfig) -> Int32 {
        let target = address(listeningOn: config.host)
        let hostHeader = hostHeader(config, target: target)
        let fd = dsys_tcp_connect(target, Int32(config.port), 3000)
        guard fd >= 0 else {
            print("unhealthy: cannot connect to \(target):\(config.port): \(String(cString: strerror(errno)))")
            return 1
        }
        let socket = FileDescriptor(adopting: fd, isSocket: true)
        let request = Array("GET /health HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n\r\n".utf8)
        let sent = request.withUnsafeBytes { try? socket.write($0) }
        guard sent == request.count else {
            print("unhealthy: cannot send the request")
            return 1
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while reply.count < 4096, !reply.contains(UInt8(ascii: "\n")) {
            guard let count = buffer.withUnsafeMutableBytes({ try? socket.read(into: $0) }), count > 0 else { break }
            reply += buffer[0..<count]
        }
        let statusLine = String(decoding: reply.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        guard statusLine.hasPrefix("HTTP/1.1 200 ") else {
            print("unhealthy: \(statusLine.isEmpty ? "no answer" : statusLine)")
            return 1
        }
        print("healthy")
        return 0
    }

    /// A wildcard listener is reached on loopback.
    private static func address(listeningOn host: String) -> String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::", "[::]": "::1"
        default: host
        }
    }

    /// A name the Host check lets in: loopback literals when bound to loopback, else the first configured name.
    private static func hostHeader(_ config: GatewayConfig, target: String) -> String {
        let literal = target.contains(":") ? "[\(target)]" : target
        if target == "127.0.0.1" || target == "::1" || target == "localhost" {
            return config.host == target ? literal : config.allowedHosts.first ?? literal
        }
        return config.allowedHosts.first ?? literal
    }
}
