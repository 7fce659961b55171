import DispatchWire

/// Output the worker has sent but the gateway has not acknowledged, kept so that nothing is lost if
/// the gateway goes away before taking it. Its size is also the flow-control window: the worker reads
/// the program's output only while `unacknowledgedBytes < window`, so a gateway that stops acking
/// stops the program (it blocks on write, as in a real terminal) and memory stays bounded.
public struct RetainedOutput {
    private var messages: [(seq: UInt64, message: WireMessage, size: Int)] = []
    private var head = 0
    public private(set) var unacknowledgedBytes = 0
    public private(set) var lastSeq: UInt64 = 0
    public var window: Int

    public init(window: Int) {
        self.window = window
    }

    public var hasRoom: Bool { unacknowledgedBytes < window }
    public var isEmpty: Bool { head == messages.count }

    /// Numbers the next message (output, event or exit) and keeps it until acknowledged.
    public mutating func append(_ make: (UInt64) -> WireMessage, size: Int) -> WireMessage {
        lastSeq += 1
        let message = make(lastSeq)
        messages.append((lastSeq, message, size))
        unacknowledgedBytes += size
        return message
    }

    /// The gateway holds everything up to `seq`.
    public mutating func acknowledge(through seq: UInt64) {
        while head < messages.count, messages[head].seq <= seq {
            unacknowledgedBytes -= messages[head].size
            head += 1
        }
        if head > 64, head * 2 > messages.count {
            messages.removeFirst(head)
            head = 0
        }
    }

    /// What a reconnected gateway still needs, in order.
    public func messages(after seq: UInt64) -> [WireMessage] {
        messages[head...].filter { $0.seq > seq }.map(\.message)
    }
}
