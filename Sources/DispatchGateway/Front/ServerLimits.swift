import DispatchHTTP

/// Every hard limit of the front, each a named setting (DESIGN section 6).
public struct ServerLimits: Sendable {
    public var http = HTTPLimits()
    public var maxConnections = 1024
    /// Connections that have not yet shown a valid cookie or key.
    public var maxUnauthenticatedConnections = 256
    /// A request must be complete this long after its first byte (slowloris).
    public var headerTimeout: Duration = .seconds(10)
    /// An HTTP keep-alive connection with nothing to do is closed after this.
    public var idleTimeout: Duration = .seconds(60)
    public var maxWebSocketMessage = 1 << 20
    /// A WebSocket client whose unsent output passes this is not fed more (its sessions are held back).
    public var maxWebSocketOutbound = 1 << 20
    /// A WebSocket that has been silent this long is pinged; one more period without an answer closes it.
    public var webSocketPingInterval: Duration = .seconds(30)
    /// Bytes of terminal output in flight to a flow-controlled viewer before it must acknowledge.
    public var flowWindow = 512 * 1024
    /// A viewer that holds a session back this long without progress is detached with an error.
    public var stalledViewerTimeout: Duration = .seconds(30)

    public init() {}
}
