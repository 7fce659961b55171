/// One client watching one session. With flow control the client acknowledges what it rendered and
/// at most a window of bytes is in flight; without it, the connection's outbound queue is the bound.
final class Viewer {
    let flow: Bool
    unowned let client: ClientConnection
    private var inFlight: [(seq: UInt64, size: Int)] = []
    private var inFlightHead = 0
    private(set) var unacknowledgedBytes = 0
    /// When this viewer started holding its session back; nil while it keeps up.
    var holdingSince: ContinuousClock.Instant?

    init(flow: Bool, client: ClientConnection) {
        self.flow = flow
        self.client = client
    }

    /// The newest event this viewer has been sent; a replay and the live stream meet here.
    private(set) var lastSentSeq: UInt64 = 0

    func sent(seq: UInt64, size: Int) {
        lastSentSeq = max(lastSentSeq, seq)
        guard flow else { return }
        inFlight.append((seq, size))
        unacknowledgedBytes += size
    }

    func acknowledge(through seq: UInt64) {
        while inFlightHead < inFlight.count, inFlight[inFlightHead].seq <= seq {
            unacknowledgedBytes -= inFlight[inFlightHead].size
            inFlightHead += 1
        }
        if inFlightHead > 256 {
            inFlight.removeFirst(inFlightHead)
            inFlightHead = 0
        }
    }

    func isBehind(flowWindow: Int, outboundLimit: Int) -> Bool {
        (flow && unacknowledgedBytes > flowWindow) || client.pendingOutboundBytes > outboundLimit
    }
}
