import DispatchHTTP
import DispatchPosix

/// An upgraded connection speaking RFC 6455: text messages in and out, pings both ways, the close
/// handshake, and the close code the RFC asks for on bad input. Loop-confined.
final class WebSocketConnection {
    private let stream: ByteStream
    private let loop: EventLoop
    private var reader: WebSocketReader
    private var heartbeat: HeartbeatMonitor
    private var heartbeatTimer: EventLoop.Timer?
    private var closeSent = false
    private var finished = false

    var onText: (String) -> Void = { _ in }
    /// The API speaks text only; the conformance echo endpoint takes binary too.
    var onBinary: (([UInt8]) -> Void)?
    /// The outbound queue emptied: a moment to send more held-back output.
    var onDrained: () -> Void = {}
    /// Called once when the connection is gone.
    var onClosed: () -> Void = {}

    init(stream: ByteStream, loop: EventLoop, limits: ServerLimits) {
        self.stream = stream
        self.loop = loop
        reader = WebSocketReader(maxMessageBytes: limits.maxWebSocketMessage)
        heartbeat = HeartbeatMonitor(interval: limits.webSocketPingInterval, missesAllowed: 1, now: .now)
        stream.onBytes = { [unowned self] bytes in received(bytes) }
        stream.onEnd = { [unowned self] _ in finish() }
        stream.onDrained = { [unowned self] in
            if closeSent { finish() } else { onDrained() }
        }
        scheduleHeartbeat()
    }

    /// Feeds bytes that arrived together with the upgrade request.
    func start(leftover: [UInt8]) {
        if !leftover.isEmpty { leftover.withUnsafeBytes { received($0) } }
    }

    var isOpen: Bool { !finished && !closeSent }
    var pendingOutboundBytes: Int { stream.pendingOutboundBytes }

    func sendBinary(_ bytes: [UInt8]) {
        guard isOpen else { return }
        stream.write(WebSocketWriter.frame(.binary(bytes)))
    }

    func sendText(_ text: String) {
        guard isOpen else { return }
        stream.write { WebSocketWriter.appendText(text, to: &$0) }
    }

    func close(code: UInt16, reason: String) {
        guard isOpen else { return }
        closeSent = true
        stream.write(WebSocketWriter.frame(.close(code: code, reason: reason)))
        stream.pauseReading(true)
        // A peer that never reads its close frame must not hold the socket open.
        loop.schedule(after: .seconds(5)) { [weak self] in self?.finish() }
        if stream.pendingOutboundBytes == 0 { finish() }
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        reader.append(bytes)
        do {
            while !finished, let message = try reader.next() {
                heartbeat.heardFrom(now: .now)
                handle(message)
            }
        } catch {
            Log.warn("websocket protocol error", [("error", "\(error)")])
            close(code: error.closeCode, reason: "\(error)")
        }
    }

    private func handle(_ message: WebSocketMessage) {
        switch message {
        case .text(let text):
            if isOpen { onText(text) }
        case .binary(let bytes):
            guard let onBinary else { return close(code: 1003, reason: "binary messages are not accepted") }
            if isOpen { onBinary(bytes) }
        case .ping(let payload):
            if isOpen { stream.write(WebSocketWriter.frame(.pong(payload))) }
        case .pong(let payload):
            if payload.count == 8 {
                heartbeat.pong(nonce: payload.reduce(0) { $0 << 8 | UInt64($1) }, now: .now)
            }
        case .close(let code, _):
            if closeSent { return finish() }
            close(code: code ?? 1000, reason: "")
        }
    }

    private func scheduleHeartbeat() {
        heartbeatTimer = loop.schedule(at: heartbeat.nextDeadline) { [weak self] in
            guard let self, !finished else { return }
            switch heartbeat.tick(now: .now) {
            case .sendPing(let nonce):
                let payload = (0..<8).map { UInt8(truncatingIfNeeded: nonce >> (56 - 8 * $0)) }
                stream.write(WebSocketWriter.frame(.ping(payload)))
            case .declareDead:
                Log.info("websocket peer stopped answering pings; closing")
                return close(code: 1001, reason: "ping timeout")
            case .none:
                break
            }
            scheduleHeartbeat()
        }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        if let heartbeatTimer { loop.cancel(heartbeatTimer) }
        stream.close()
        let closed = onClosed
        onClosed = {}
        closed()
    }
}
