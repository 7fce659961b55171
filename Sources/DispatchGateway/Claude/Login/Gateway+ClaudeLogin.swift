import DispatchHTTP

/// `/api/claude/auth…`: login to Claude from the browser (see ClaudeLogin). Behind the same
/// credential and Origin checks as every other /api route.
extension Gateway {
    func claudeAuthRoute(_ request: HTTPRequest, _ parts: [String]) -> HTTPResponse {
        guard let claudeLogin else { return Responses.error(503, "Claude login is not configured") }
        switch (request.method, parts.count > 4 ? parts[4] : nil, parts.count) {
        case ("POST", "start", 5):
            return answer(claudeLogin.start(), status: 202)
        case ("POST", "code", 5):
            guard let code = JSON.parse(request.body)?["code"]?.string else {
                return Responses.error(400, "the body must be {\"code\": \"...\"}")
            }
            return answer(claudeLogin.submit(code: code), status: 202)
        case ("GET", "status", 5), ("HEAD", "status", 5):
            return Responses.json(200, claudeLogin.status())
        case ("DELETE", nil, 4):
            return Responses.json(200, claudeLogin.forget())
        case (_, "start", 5), (_, "code", 5): return Responses.error(405, "method not allowed", headers: [("Allow", "POST")])
        case (_, "status", 5): return Responses.error(405, "method not allowed", headers: [("Allow", "GET, HEAD")])
        case (_, nil, 4): return Responses.error(405, "method not allowed", headers: [("Allow", "DELETE")])
        default: return Responses.error(404, "no such route")
        }
    }

    private func answer(_ result: Result<JSON, ClaudeLogin.Failure>, status: Int) -> HTTPResponse {
        switch result {
        case .success(let body): Responses.json(status, body)
        case .failure(let failure): Responses.error(failure.status, failure.message)
        }
    }
}
