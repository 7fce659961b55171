/// Protocol constants both ends must agree on.
public enum WireLimits {
    public static let protocolVersion: UInt16 = 1
    /// Bytes after the 4-byte length field. Output is sent in 64 KiB chunks, so a 1 MiB ceiling
    /// leaves ample headroom while bounding what a misbehaving peer can make us buffer.
    public static let maxFrameLength = (1 << 20) + 64
}

/// How the session's program ended, as reported by waitpid.
public enum ProgramExit: Equatable, Sendable {
    case exited(code: Int32)
    case signaled(signal: Int32)
}

/// Worker -> gateway, always the first frame: who the worker is and how far its output has got.
public struct Hello: Equatable, Sendable {
    public var version: UInt16
    public var sessionId: String
    public var secret: [UInt8]
    /// 0 when the program could not be started.
    public var programPid: Int32
    /// Last output/event seq the worker has produced (0 = none).
    public var lastSeq: UInt64

    public init(
        version: UInt16 = WireLimits.protocolVersion,
        sessionId: String,
        secret: [UInt8],
        programPid: Int32,
        lastSeq: UInt64
    ) {
        self.version = version
        self.sessionId = sessionId
        self.secret = secret
        self.programPid = programPid
        self.lastSeq = lastSeq
    }
}

/// Gateway -> worker, the reply to a good hello.
public struct Welcome: Equatable, Sendable {
    public var version: UInt16
    /// The gateway holds every seq <= this; the worker resends what follows.
    public var resumeAfter: UInt64
    /// Bytes of output the worker may have un-acknowledged.
    public var window: UInt32

    public init(version: UInt16 = WireLimits.protocolVersion, resumeAfter: UInt64, window: UInt32) {
        self.version = version
        self.resumeAfter = resumeAfter
        self.window = window
    }
}

/// Everything the gateway and a worker say to each other. G = gateway, W = worker.
public enum WireMessage: Equatable, Sendable {
    case hello(Hello)
    case welcome(Welcome)
    /// G->W bytes for the program.
    case input([UInt8])
    /// G->W
    case resize(cols: UInt16, rows: UInt16)
    /// W->G program output.
    case output(seq: UInt64, bytes: [UInt8])
    /// W->G kind-specific event (e.g. a Claude JSON line).
    case event(seq: UInt64, channel: String, payload: [UInt8])
    /// W->G the program ended.
    case exit(seq: UInt64, ProgramExit)
    /// W->G the session cannot run (missing shell, missing folder).
    case fatal(message: String)
    /// Either way.
    case ping(nonce: UInt64)
    /// Either way.
    case pong(nonce: UInt64)
    /// G->W everything <= seq is taken; also the flow credit.
    case ack(seq: UInt64)
    /// Either way.
    case close(reason: String)
}
