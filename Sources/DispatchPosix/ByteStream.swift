/// A non-blocking stream socket on the event loop: bytes in as they arrive, bytes out queued until the
/// socket takes them. Protocol code sits on top (framed worker links, HTTP, WebSocket). Loop-confined.
///
/// Reading is one `read` per readiness event so that a flooding peer cannot starve the others on the
/// same loop; `pendingOutboundBytes` tells the owner how far behind the peer is, so it can stop
/// producing instead of queueing without end.
public final class ByteStream {
    public enum Ending: Equatable, CustomStringConvertible {
        case peerClosed
        case ioError(SystemError)

        public var description: String {
            switch self {
            case .peerClosed: "peer closed the connection"
            case .ioError(let error): "\(error)"
            }
        }
    }

    public let socket: FileDescriptor
    private let loop: EventLoop
    private var registration: EventLoop.Registration?
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var interest: IOEvents = .readable
    private var readingPaused = false

    /// Bytes from one read; valid only during the call.
    public var onBytes: (UnsafeRawBufferPointer) -> Void = { _ in }
    /// The outbound queue emptied (after having had something in it).
    public var onDrained: () -> Void = {}
    /// The connection is over; the socket is already closed. Not called for `close()`.
    public var onEnd: (Ending) -> Void = { _ in }

    public init(socket: FileDescriptor, loop: EventLoop, readChunk: Int = 64 * 1024) {
        self.socket = socket
        self.loop = loop
        self.readBuffer = .allocate(byteCount: readChunk, alignment: 8)
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
            handle(events)
        }
    }

    public func write(_ bytes: [UInt8]) {
        guard isOpen, !bytes.isEmpty else { return }
        let wasEmpty = pendingOutboundBytes == 0
        outbound.append(contentsOf: bytes)
        if wasEmpty { flush() }
    }

    /// Appends to the outbound queue in place (an encoder writing straight into it), then sends.
    public func write(_ append: (inout [UInt8]) -> Void) {
        guard isOpen else { return }
        let wasEmpty = pendingOutboundBytes == 0
        append(&outbound)
        if wasEmpty { flush() }
    }

    /// Stops or resumes reading (back-pressure on the peer); writing goes on.
    public func pauseReading(_ paused: Bool) {
        readingPaused = paused
        updateInterest()
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
        if !readingPaused, !events.isDisjoint(with: [.readable, .hangup, .error]) { readOnce() }
    }

    private func readOnce() {
        guard isOpen else { return }
        let count: Int?
        do { count = try socket.read(into: readBuffer) } catch { return end(.ioError(error)) }
        guard let count else { return }
        if count == 0 { return end(.peerClosed) }
        onBytes(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
    }

    private func flush() {
        guard isOpen else { return }
        let hadPending = pendingOutboundBytes > 0
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
        updateInterest()
        if hadPending, pendingOutboundBytes == 0 { onDrained() }
    }

    /// A paused reader with nothing to write leaves epoll's interest empty; hang-ups still arrive and are
    /// noticed on the next resume, and sockets (unlike pty masters) do not report them in a loop once read.
    private func updateInterest() {
        var wanted: IOEvents = []
        if !readingPaused { wanted.insert(.readable) }
        if pendingOutboundBytes > 0 { wanted.insert(.writable) }
        guard wanted != interest, let registration else { return }
        interest = wanted
        loop.update(registration, fd: socket.raw, interest: wanted)
    }
}
