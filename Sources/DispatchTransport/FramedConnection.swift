import DispatchPosix
import DispatchWire

/// A stream socket on the event loop that speaks whole wire messages: it decodes what arrives
/// (split anywhere) and queues what is sent until the socket takes it. Loop-confined.
///
/// Reading is one `read` per readiness event so that a flooding peer cannot starve the others on the
/// same loop; writing never blocks, and `pendingOutboundBytes` tells the owner how far behind the peer is.
public final class FramedConnection {
    public enum Ending: Equatable, CustomStringConvertible {
        case peerClosed
        case protocolError(WireError)
        case ioError(SystemError)

        public var description: String {
            switch self {
            case .peerClosed: "peer closed the connection"
            case .protocolError(let error): "protocol error: \(error)"
            case .ioError(let error): "\(error)"
            }
        }
    }

    public let socket: FileDescriptor
    private let loop: EventLoop
    private var registration: EventLoop.Registration?
    private var decoder: FrameDecoder
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var readBuffer: UnsafeMutableRawBufferPointer
    private var watchingWritable = false

    /// Each decoded message, in order.
    public var onMessage: (WireMessage) -> Void = { _ in }
    /// After the messages of one read were handled: a good moment to batch replies (acks).
    public var onReadBatchEnd: () -> Void = {}
    /// The connection is over (it is already closed when this runs). Not called for `close()`.
    public var onEnd: (Ending) -> Void = { _ in }

    public init(socket: FileDescriptor, loop: EventLoop, maxFrameLength: Int = WireLimits.maxFrameLength) {
        self.socket = socket
        self.loop = loop
        self.decoder = FrameDecoder(maxFrameLength: maxFrameLength)
        self.readBuffer = .allocate(byteCount: 64 * 1024, alignment: 8)
    }

    deinit {
        close()
        readBuffer.deallocate()
    }

    public var isOpen: Bool { socket.isOpen }
    public var pendingOutboundBytes: Int { outbound.count - outboundOffset }

    public func start() throws(SystemError) {
        try socket.setNonBlocking()
        registration = try loop.register(socket.raw, for: .readable) { [unowned self] events in
            self.handle(events)
        }
    }

    public func send(_ message: WireMessage) {
        guard isOpen else { return }
        let wasEmpty = pendingOutboundBytes == 0
        WireCodec.encode(message, into: &outbound)
        if wasEmpty { flush() }
    }

    /// Closes without calling `onEnd`: the owner decided.
    public func close() {
        guard isOpen else { return }
        if let registration { loop.deregister(registration, fd: socket.raw) }
        registration = nil
        socket.close()
    }

    private func end(_ reason: Ending) {
        guard isOpen else { return }
        close()
        onEnd(reason)
    }

    private func handle(_ events: IOEvents) {
        if events.contains(.writable) { flush() }
        if events.contains(.readable) || events.contains(.hangup) || events.contains(.error) { readOnce() }
    }

    private func readOnce() {
        guard isOpen else { return }
        let count: Int?
        do { count = try socket.read(into: readBuffer) } catch { return end(.ioError(error)) }
        guard let count else { return }
        if count == 0 { return end(.peerClosed) }
        decoder.append(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
        do {
            while isOpen, let message = try decoder.next() {
                onMessage(message)
            }
        } catch {
            return end(.protocolError(error))
        }
        if isOpen { onReadBatchEnd() }
    }

    private func flush() {
        guard isOpen else { return }
        while pendingOutboundBytes > 0 {
            let offset = outboundOffset
            let result = outbound.withUnsafeBytes { bytes in
                Result { () throws(SystemError) in try socket.write(UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
            }
            guard case .success(let written) = result else {
                if case .failure(let error) = result { end(.ioError(error)) }
                return
            }
            if written == 0 { break }
            outboundOffset += written
        }
        if pendingOutboundBytes == 0 {
            outbound.removeAll(keepingCapacity: outbound.capacity <= 256 * 1024)
            outboundOffset = 0
        } else if outboundOffset > 64 * 1024 {
            outbound.removeFirst(outboundOffset)
            outboundOffset = 0
        }
        let wantWritable = pendingOutboundBytes > 0
        if let registration, wantWritable != watchingWritable {
            watchingWritable = wantWritable
            loop.update(registration, fd: socket.raw, interest: wantWritable ? [.readable, .writable] : .readable)
        }
    }
}
