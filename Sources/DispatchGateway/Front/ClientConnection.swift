import DispatchPosix

/// One browser (or script) on the WebSocket: the JSON protocol of DESIGN section 5. Every request may
/// carry an "id" that its reply echoes; bad input gets an error message and the connection goes on.
/// Loop-confined.
final class ClientConnection {
    let socket: WebSocketConnection
    let peer: String
    private unowned let gateway: Gateway
    private(set) var authenticated: Bool
    /// The login session that authenticated this socket (nil for the key), so logout can close it.
    let authSessionID: String?

    init(socket: WebSocketConnection, peer: String, authenticated: Bool, authSessionID: String?, gateway: Gateway) {
        self.socket = socket
        self.peer = peer
        self.authenticated = authenticated
        self.authSessionID = authSessionID
        self.gateway = gateway
    }

    var pendingOutboundBytes: Int { socket.pendingOutboundBytes }

    func sendRaw(_ text: String) {
        socket.sendText(text)
    }

    func send(_ json: JSON) {
        socket.sendText(json.text)
    }

    func sendError(_ message: String, runId: String? = nil) {
        var members: [(String, JSON)] = [("type", .string("error")), ("error", .string(message))]
        if let runId { members.append(("runId", .string(runId))) }
        send(.object(members))
    }

    func received(_ text: String) {
        guard let message = JSON.parse(Array(text.utf8)), case .object = message else {
            return sendError("messages must be JSON objects")
        }
        let id = message["id"]
        guard let type = message["type"]?.string else {
            return reply(id, .failure("a message needs a \"type\""))
        }
        if type == "auth" {
            return authenticate(message["key"]?.string, id: id)
        }
        guard authenticated else {
            return send(.object([("type", .string("auth.error")), ("error", .string("authenticate first"))]))
        }
        reply(id, gateway.api.handle(type, message, from: self))
    }

    private func authenticate(_ key: String?, id: JSON?) {
        switch gateway.checkKey(key, client: peer) {
        case .success:
            authenticated = true
            send(.object([("type", .string("auth.success"))]))
        case .failure(let error):
            var members: [(String, JSON)] = [("type", .string("auth.error")), ("error", .string(error.message))]
            if let retry = error.retryAfterSeconds { members.append(("retryAfter", .int(retry))) }
            send(.object(members))
        }
    }

    enum Outcome {
        case success([(String, JSON)])
        case failure(String)
        /// Replied already (or nothing to reply, as for acks).
        case none
    }

    /// A failed request without an id cannot be matched to a reply, so it gets a plain error message.
    private func reply(_ id: JSON?, _ outcome: Outcome) {
        if id == nil, case .failure(let message) = outcome { return sendError(message) }
        var members: [(String, JSON)] = [("type", .string("reply"))]
        if let id { members.append(("id", id)) }
        switch outcome {
        case .success(let fields):
            members.append(("ok", .bool(true)))
            members += fields
        case .failure(let message):
            members.append(("ok", .bool(false)))
            members.append(("error", .string(message)))
        case .none:
            return
        }
        send(.object(members))
    }
}
