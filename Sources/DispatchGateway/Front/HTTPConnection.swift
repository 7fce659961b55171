import DispatchHTTP
import DispatchPosix

/// What the router makes of a request.
enum HTTPOutcome {
    case respond(HTTPResponse)
    /// Send the 101 response, then hand the stream (and bytes that came after the request) to a WebSocket.
    case upgrade(HTTPResponse, (ByteStream, [UInt8]) -> Void)
}

/// Per-request facts the router needs besides the request itself.
struct RequestContext {
    let peer: String
    let connectionID: Int
}

/// One HTTP/1.1 connection: parse, route, respond, keep alive; refuse what breaks the limits with the
/// right status and close. Loop-confined.
final class HTTPConnection {
    let id: Int
    let peer: String
    private let stream: ByteStream
    private let loop: EventLoop
    private let limits: ServerLimits
    private var parser: HTTPRequestParser
    private let route: (HTTPRequest, RequestContext) -> HTTPOutcome
    private var headerTimer: EventLoop.Timer?
    private var idleTimer: EventLoop.Timer?
    private var closing = false
    /// Called once when the connection is over or became a WebSocket.
    var onFinished: (HTTPConnection) -> Void = { _ in }

    init(id: Int, socket: FileDescriptor, peer: String, loop: EventLoop, limits: ServerLimits,
         route: @escaping (HTTPRequest, RequestContext) -> HTTPOutcome) {
        self.id = id
        self.peer = peer
        self.loop = loop
        self.limits = limits
        self.route = route
        parser = HTTPRequestParser(limits: limits.http)
        stream = ByteStream(socket: socket, loop: loop, readChunk: 16 * 1024)
        stream.onBytes = { [unowned self] bytes in received(bytes) }
        stream.onEnd = { [unowned self] _ in finish() }
        stream.onDrained = { [unowned self] in if closing { finish() } }
    }

    /// A new connection must send its first request within the header timeout, like any later one:
    /// a silent socket must not hold a connection slot for the whole idle timeout.
    func start() throws(SystemError) {
        try stream.start()
        armHeaderTimer()
    }

    /// Refuses the connection outright (too many connections), then closes.
    func refuse(_ status: Int, _ message: String) {
        respondAndClose(Responses.error(status, message))
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        guard !closing else { return }
        parser.append(bytes)
        if headerTimer == nil, parser.hasPartialRequest { armHeaderTimer() }
        do {
            while !closing, let request = try parser.next() {
                cancelHeaderTimer()
                handle(request)
            }
        } catch {
            respondAndClose(Responses.error(error.status, error.reason))
            return
        }
        if !parser.hasPartialRequest, headerTimer != nil, !closing {
            cancelHeaderTimer()
            armIdleTimer()
        }
    }

    private func handle(_ request: HTTPRequest) {
        let context = RequestContext(peer: peer, connectionID: id)
        switch route(request, context) {
        case .respond(var response):
            let keepAlive = request.keepAlive && response.status < 500
            response.headers.set("Connection", keepAlive ? "keep-alive" : "close")
            stream.write(response.serialized(headOnly: request.method == "HEAD"))
            AccessLog.record(request, status: response.status, peer: peer)
            if keepAlive { armIdleTimer() } else { closeAfterFlush() }
        case .upgrade(let response, let becomeWebSocket):
            stream.write(response.serialized())
            AccessLog.record(request, status: response.status, peer: peer)
            cancelTimers()
            closing = true
            becomeWebSocket(stream, parser.takeBufferedBytes())
            onFinished(self)
            onFinished = { _ in }
        }
    }

    private func respondAndClose(_ response: HTTPResponse) {
        guard !closing else { return }
        var response = response
        response.headers.set("Connection", "close")
        stream.write(response.serialized())
        closeAfterFlush()
    }

    private func closeAfterFlush() {
        closing = true
        cancelTimers()
        stream.pauseReading(true)
        if stream.pendingOutboundBytes == 0 { finish() }
    }

    private func finish() {
        cancelTimers()
        stream.close()
        onFinished(self)
        onFinished = { _ in }
    }

    private func armHeaderTimer() {
        headerTimer = loop.schedule(after: limits.headerTimeout) { [weak self] in
            self?.headerTimer = nil
            self?.respondAndClose(Responses.error(408, "request not received in time"))
        }
    }

    private func armIdleTimer() {
        if let idleTimer { loop.cancel(idleTimer) }
        idleTimer = loop.schedule(after: limits.idleTimeout) { [weak self] in
            guard let self, !parser.hasPartialRequest else { return }
            idleTimer = nil
            finish()
        }
    }

    private func cancelHeaderTimer() {
        if let headerTimer { loop.cancel(headerTimer) }
        headerTimer = nil
    }

    private func cancelTimers() {
        cancelHeaderTimer()
        if let idleTimer { loop.cancel(idleTimer) }
        idleTimer = nil
    }
}
