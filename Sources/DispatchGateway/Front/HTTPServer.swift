import DispatchHTTP
import DispatchPosix

/// Accepts TCP connections and runs each as an HTTPConnection, within the connection limits: past
/// them a new connection gets a 503 and is closed, and nobody already connected notices. Loop-confined.
final class HTTPServer {
    let port: Int
    private let listener: FileDescriptor
    private let loop: EventLoop
    private let limits: ServerLimits
    private var registration: EventLoop.Registration?
    private var connections: [Int: HTTPConnection] = [:]
    private var lastID = 0
    private let route: (HTTPRequest, RequestContext) -> HTTPOutcome
    /// Connections that showed valid credentials; the rest count against the unauthenticated limit.
    var authenticated: Set<Int> = []
    /// Open WebSockets, counted against the total (they left `connections` when they upgraded).
    var webSocketCount: () -> (total: Int, unauthenticated: Int) = { (0, 0) }

    init(host: String, port: Int, loop: EventLoop, limits: ServerLimits,
         route: @escaping (HTTPRequest, RequestContext) -> HTTPOutcome) throws(SystemError) {
        (listener, self.port) = try TCPSocket.listen(host: host, port: port)
        self.loop = loop
        self.limits = limits
        self.route = route
        registration = try loop.register(listener.raw, for: .readable) { [unowned self] _ in acceptAll() }
    }

    deinit {
        if let registration { loop.deregister(registration, fd: listener.raw) }
    }


    private func acceptAll() {
        while true {
            let accepted: (socket: FileDescriptor, peer: String)?
            do { accepted = try TCPSocket.accept(from: listener) } catch {
                Log.error("accept failed", [("error", "\(error)")])  // EMFILE and the like: try again on the next event
                return
            }
            guard let (socket, peer) = accepted else { return }
            lastID += 1
            let connection = HTTPConnection(id: lastID, socket: socket, peer: peer, loop: loop, limits: limits, route: route)
            connection.onFinished = { [unowned self] finished in
                connections[finished.id] = nil
                authenticated.remove(finished.id)
            }
            guard (try? connection.start()) != nil else { continue }
            connections[connection.id] = connection
            let sockets = webSocketCount()
            let unauthenticated = connections.count - authenticated.count + sockets.unauthenticated
            if connections.count + sockets.total > limits.maxConnections {
                connection.refuse(503, "too many connections")
            } else if unauthenticated > limits.maxUnauthenticatedConnections {
                connection.refuse(503, "too many unauthenticated connections")
            }
        }
    }
}
