import DispatchHTTP
import DispatchPosix
import DispatchStore

/// The HTTP routes of DESIGN section 5.
extension Gateway {
    func route(_ request: HTTPRequest, _ context: RequestContext) -> HTTPOutcome {
        guard requestGuard.hostAllowed(request.headers["Host"]) else {
            return .respond(Responses.error(403, "host not allowed"))
        }
        if request.path == "/ws" { return webSocketUpgrade(request, context) }
        if request.path == "/ws-echo", settings.echoEndpoint { return echoUpgrade(request) }
        if request.path == "/health" { return .respond(health(request)) }
        if request.path == "/metrics" { return .respond(metricsPage(request)) }
        if request.path == "/public-url" { return .respond(publicURLPage(request)) }
        guard request.path.hasPrefix("/api/") else { return .respond(staticFiles.respond(to: request)) }
        return .respond(api(request, context))
    }

    private func health(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else { return methodNotAllowed("GET, HEAD") }
        var problems: [String] = []
        if supervisor.isShuttingDown { problems.append("shutting down") }
        if let failure = hub.recorder.failure { problems.append("store: \(failure)") }
        if hub.recorder.attempt("health check", { try $0.lastSeq(runId: "") }) == nil { problems.append("store unreachable") }
        return Responses.json(problems.isEmpty ? 200 : 503, .object([
            ("status", .string(problems.isEmpty ? "ok" : "unwell")), ("sessions", .int(supervisor.list().count)),
            ("problems", .array(problems.map(JSON.string))),
        ]))
    }

    private func api(_ request: HTTPRequest, _ context: RequestContext) -> HTTPResponse {
        if request.path == "/api/auth/login" { return login(request, context) }
        let credential = credential(of: request)
        if request.path == "/api/auth/check" {
            // 200 either way: a logged-out page probes this, and browsers log every 4xx as a console error.
            return Responses.json(200, .object([("authenticated", .bool(credential != nil))]))
        }
        guard let credential else { return Responses.error(401, "not authenticated") }
        server?.authenticated.insert(context.connectionID)
        if case .cookie = credential, !["GET", "HEAD"].contains(request.method),
           !requestGuard.originAllowed(request.headers["Origin"], host: request.headers["Host"]) {
            return Responses.error(403, "origin not allowed")
        }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if let response = sessionControlRoute(request, parts) { return response }
        switch (request.method, parts.dropFirst(2).first ?? "", parts.count) {
        case ("POST", "auth", 4) where parts[3] == "logout":
            return logout(request)
        case ("GET", "sessions", 3):
            return Responses.json(200, .object([("sessions", .array(hub.list()))]))
        case ("POST", "sessions", 3):
            guard let body = JSON.parse(request.body), case .object = body else { return Responses.error(400, "the body must be a JSON object") }
            switch api.makeSession(body) {
            case .success(let session): return Responses.json(201, session)
            case .failure(let error): return Responses.error(error.status, error.message)
            }
        case ("GET", "sessions", 4):
            return hub.descriptor(parts[3]).map { Responses.json(200, $0) } ?? Responses.error(404, "no session \(parts[3])")
        case ("DELETE", "sessions", 4):
            // A live session is ended; an ended one is deleted with its history.
            let id = parts[3]
            guard let status = hub.descriptor(id)?["status"]?.string else { return Responses.error(404, "no session \(id)") }
            do {
                if status == "starting" || status == "running" {
                    try supervisor.close(id)
                } else {
                    try hub.delete(id)
                    claude.unregister(id)
                    return Responses.json(200, .object([("id", .string(id)), ("deleted", .bool(true))]))
                }
            } catch {
                return Responses.error(409, error.description)
            }
            return hub.descriptor(id).map { Responses.json(200, $0) } ?? Responses.error(404, "no session \(id)")
        case ("PATCH", "sessions", 4):
            guard let title = ClientAPI.validTitle(JSON.parse(request.body)?["title"]) else { return Responses.error(400, ClientAPI.titleRule) }
            guard hub.rename(parts[3], title: title), let session = hub.descriptor(parts[3]) else { return Responses.error(404, "no session \(parts[3])") }
            return Responses.json(200, session)
        case ("GET", "workspaces", 3):
            return Responses.json(200, .object([("workspaces", .array(api.workspaces.list().map { .object([("name", .string($0))]) }))]))
        case ("POST", "workspaces", 3):
            guard let name = JSON.parse(request.body)?["name"]?.string else { return Responses.error(400, "the body must be {\"name\": \"...\"}") }
            do {
                _ = try api.workspaces.folder(name)
            } catch {
                return Responses.error(400, error.description)
            }
            hub.recorder.attempt("add workspace") { try $0.addWorkspace(name: name, createdAt: WallClock.milliseconds()) }
            broadcastSessions()
            return Responses.json(201, .object([("name", .string(name))]))
        case (_, "workspaces", 3): return methodNotAllowed("GET, POST")
        case ("GET", "sessions", 5) where parts[4] == "events":
            return events(of: parts[3], request)
        case (_, "sessions", 3): return methodNotAllowed("GET, POST")
        case (_, "sessions", 4): return methodNotAllowed("GET, PATCH, DELETE")
        case (_, "claude", 4...) where parts[3] == "auth":
            return claudeAuthRoute(request, parts)
        default:
            return Responses.error(404, "no such route")
        }
    }

    private func metricsPage(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" else { return methodNotAllowed("GET") }
        guard credential(of: request) != nil else { return Responses.error(401, "not authenticated") }
        return Responses.encoded(200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: renderMetrics())
    }

    /// A page of a session's stored history, for scripts: `?after=N&limit=M` (limit 1-1000, default 100).
    private func events(of id: String, _ request: HTTPRequest) -> HTTPResponse {
        guard hub.exists(id) else { return Responses.error(404, "no session \(id)") }
        let after = request.queryValue("after").map { UInt64($0) } ?? 0
        let limit = request.queryValue("limit").map { Int($0) } ?? 100
        guard let after else { return Responses.error(400, "\"after\" must be a whole number from 0") }
        guard let limit, (1...1000).contains(limit) else { return Responses.error(400, "\"limit\" must be a whole number from 1 to 1000") }
        let page: [StoredEvent]
        do {
            page = try hub.recorder.events(runId: id, after: after, limit: limit)
        } catch {
            return Responses.error(503, "cannot read the session's history: \(error)")
        }
        var body = "{\"events\":["
        for (index, event) in page.enumerated() {
            if index > 0 { body += "," }
            body += "{" + SessionHub.fields(event) + "}"
        }
        body += "]"
        if let first = try? hub.recorder.store.firstSeq(runId: id), first > 1, after < first - 1 { body += ",\"historyStart\":\(first)" }
        body += "}"
        return Responses.encoded(200, contentType: "application/json; charset=utf-8", body: body)
    }

    private func login(_ request: HTTPRequest, _ context: RequestContext) -> HTTPResponse {
        guard request.method == "POST" else { return methodNotAllowed("POST") }
        if request.headers.contains("Origin"), !requestGuard.originAllowed(request.headers["Origin"], host: request.headers["Host"]) {
            return Responses.error(403, "origin not allowed")
        }
        let candidate = JSON.parse(request.body)?["key"]?.string
        switch checkKey(candidate, client: context.peer) {
        case .failure(let failure):
            let headers = failure.retryAfterSeconds.map { [("Retry-After", "\($0)")] } ?? []
            return Responses.error(failure.status, failure.message, headers: headers)
        case .success:
            let (token, _) = logins.login()
            let maxAge = Int(logins.settings.absoluteTimeout.components.seconds)
            return Responses.json(200, .object([("ok", .bool(true))]), headers: [("Set-Cookie", sessionCookie(token, maxAge: maxAge))])
        }
    }

    private func logout(_ request: HTTPRequest) -> HTTPResponse {
        if let token = cookie(cookieName, in: request), let id = logins.logout(token: token) {
            revoked([id])
        }
        return Responses.json(200, .object([("ok", .bool(true))]), headers: [("Set-Cookie", sessionCookie("", maxAge: 0))])
    }

    private func webSocketUpgrade(_ request: HTTPRequest, _ context: RequestContext) -> HTTPOutcome {
        // Cross-site WebSocket hijacking: the browser sends the cookie whoever opens the socket, so the
        // Origin must be ours whatever the credential.
        guard requestGuard.originAllowed(request.headers["Origin"], host: request.headers["Host"]) else {
            return .respond(Responses.error(403, "origin not allowed"))
        }
        let handshake = WebSocketHandshake.validate(method: request.method, headerValue: { request.headers[$0] },
                                                    headerTokens: { request.headers.tokens($0) })
        switch handshake {
        case .failure(.notGet):
            return .respond(methodNotAllowed("GET"))
        case .failure(.unsupportedVersion):
            return .respond(Responses.error(426, "WebSocket version 13 only", headers: [("Sec-WebSocket-Version", "13")]))
        case .failure(let error):
            return .respond(Responses.error(400, "bad WebSocket handshake: \(error)"))
        case .success(let acceptValue):
            let credential = credential(of: request)
            let response = HTTPResponse(status: 101, headers: HTTPHeaders([
                ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", acceptValue),
            ]))
            // A cookie that no longer works (expired, revoked, or from before a restart) is said at once,
            // so the page can ask for the key instead of waiting for the unauthenticated timeout.
            let staleCookie = credential == nil && cookie(cookieName, in: request) != nil
            return .upgrade(response) { [unowned self] stream, leftover in
                accept(stream, leftover: leftover, peer: context.peer, credential: credential, staleCookie: staleCookie)
            }
        }
    }

    private func echoUpgrade(_ request: HTTPRequest) -> HTTPOutcome {
        let handshake = WebSocketHandshake.validate(method: request.method, headerValue: { request.headers[$0] },
                                                    headerTokens: { request.headers.tokens($0) })
        guard case .success(let acceptValue) = handshake else { return .respond(Responses.error(400, "bad WebSocket handshake")) }
        let response = HTTPResponse(status: 101, headers: HTTPHeaders([
            ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", acceptValue),
        ]))
        return .upgrade(response) { [loop, limits = settings.limits] stream, leftover in
            let socket = WebSocketConnection(stream: stream, loop: loop, limits: limits)
            // The socket keeps itself alive through its stream's callbacks until it closes.
            socket.onText = { [unowned socket] in socket.sendText($0) }
            socket.onBinary = { [unowned socket] in socket.sendBinary($0) }
            socket.onClosed = { [socket] in _ = socket }
            socket.start(leftover: leftover)
        }
    }

    func methodNotAllowed(_ allowed: String) -> HTTPResponse {
        Responses.error(405, "method not allowed", headers: [("Allow", allowed)])
    }
}
