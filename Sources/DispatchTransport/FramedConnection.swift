import DispatchPosix
import DispatchWire

/// A worker link: a byte stream that speaks whole wire messages, decoding what arrives (split
/// anywhere) and encoding what is sent straight into the outbound queue. Loop-confined.
public final class FramedConnection {
    public enum Ending: Equatable, CustomStringConvertible {
        case stream(ByteStream.Ending)
        case protocolError(WireError)

        public var description: String {
            switch self {
            case .stream(let ending): "\(ending)"
            case .protocolError(let error): "protocol error: \(error)"
            }
        }
    }

    private let stream: ByteStream
    private var decoder: FrameDecoder

    /// Each decoded message, in order.
    public var onMessage: (WireMessage) -> Void = { _ in }
    /// After the messages of one read were handled: a good moment to batch replies (acks).
    public var onReadBatchEnd: () -> Void = {}
    /// The connection is over (it is already closed when this runs). Not called for `close()`.
    public var onEnd: (Ending) -> Void = { _ in }

    public init(socket: FileDescriptor, loop: EventLoop, maxFrameLength: Int = WireLimits.maxFrameLength) {
        stream = ByteStream(socket: socket, loop: loop)
        decoder = FrameDecoder(maxFrameLength: maxFrameLength)
        stream.onBytes = { [unowned self] bytes in received(bytes) }
        stream.onEnd = { [unowned self] ending in onEnd(.stream(ending)) }
    }

    public var isOpen: Bool { stream.isOpen }
    public var pendingOutboundBytes: Int { stream.pendingOutboundBytes }

    public func start() throws(SystemError) {
        try stream.start()
    }

    public func send(_ message: WireMessage) {
        stream.write { WireCodec.encode(message, into: &$0) }
    }

    /// Closes without calling `onEnd`: the owner decided.
    public func close() {
        stream.close()
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        decoder.append(bytes)
        do {
            while isOpen, let message = try decoder.next() {
                onMessage(message)
            }
        } catch {
            stream.close()
            return onEnd(.protocolError(error))
        }
        if isOpen { onReadBatchEnd() }
    }
}
