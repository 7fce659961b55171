import DispatchHTTP

/// REST routes for Claude sessions and reopening (documented in README.md, "Claude Code sessions"):
/// `POST /api/sessions/{id}/interrupt`, `POST /api/sessions/{id}/permissions/{requestId}`,
/// `POST /api/sessions/{id}/restart`, `GET /api/workspaces/{name}/conversations`.
extension Gateway {
    /// The response for one of these routes; nil for any other path.
    func sessionControlRoute(_ request: HTTPRequest, _ parts: [String]) -> HTTPResponse? {
        guard parts.count >= 5 else { return nil }
        let (collection, id, action) = (parts[2], parts[3], parts[4])
        switch (collection, action, parts.count) {
        case ("sessions", "interrupt", 5):
            guard request.method == "POST" else { return methodNotAllowed("POST") }
            return respond { () throws(ClaudeSessions.Failure) in try claude.interrupt(id) }
        case ("sessions", "permissions", 6):
            guard request.method == "POST" else { return methodNotAllowed("POST") }
            guard let body = JSON.parse(request.body), case .object = body else { return Responses.error(400, "the body must be a JSON object") }
            switch ClientAPI.permissionDecision(body) {
            case .success(let decision):
                return respond { () throws(ClaudeSessions.Failure) in
                    try claude.answer(id, requestId: parts[5], allow: decision.allow, message: decision.message)
                }
            case .failure(let error):
                return Responses.error(error.status, error.message)
            }
        case ("sessions", "restart", 5):
            guard request.method == "POST" else { return methodNotAllowed("POST") }
            let body = request.body.isEmpty ? JSON.object([]) : JSON.parse(request.body)
            guard let body, case .object = body else { return Responses.error(400, "the body must be a JSON object") }
            guard body["fresh"] == nil || body["fresh"]?.bool != nil else { return Responses.error(400, "\"fresh\" must be true or false") }
            switch api.reopen(id, fresh: body["fresh"]?.bool ?? false) {
            case .success(let session): return Responses.json(200, session)
            case .failure(let error): return Responses.error(error.status, error.message)
            }
        case ("workspaces", "conversations", 5):
            guard request.method == "GET" else { return methodNotAllowed("GET") }
            guard Workspaces.isValidName(id) else { return Responses.error(400, "invalid workspace name \(id)") }
            let directory = ExecutableLookup.resolved(api.workspaces.root + "/" + id)
            let index = ConversationIndex(configFolder: claude.configFolder(api.environment))
            return Responses.json(200, .object([("conversations", .array(index.conversations(forDirectory: directory).map(\.json)))]))
        default:
            return nil
        }
    }

    private func respond(_ body: () throws(ClaudeSessions.Failure) -> Void) -> HTTPResponse {
        do {
            try body()
            return Responses.json(200, .object([]))
        } catch {
            let status = switch error {
            case .badRequest: 400
            case .notFound: 404
            case .conflict: 409
            }
            return Responses.error(status, error.description)
        }
    }
}
