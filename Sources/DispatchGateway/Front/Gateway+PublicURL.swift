import DispatchHTTP
import DispatchPosix

/// `GET /public-url`: the tunnel's public URL, or null while no tunnel is up. It needs the same
/// credential as `/api/*` and `/metrics`: the address of a shell server is not for passers-by.
extension Gateway {
    func publicURLPage(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" else { return Responses.error(405, "method not allowed", headers: [("Allow", "GET")]) }
        guard credential(of: request) != nil else { return Responses.error(401, "not authenticated") }
        return Responses.json(200, .object([("url", publicURL.map(JSON.string) ?? .null)]))
    }

    /// The tunnel printed its URL (or went down: nil). Browsers arriving through it are let in.
    public func tunnelURLChanged(_ url: String?) {
        publicURL = url
        if let url {
            if !requestGuard.admit(publicURL: url) {
                Log.warn("the tunnel's URL has no usable host; browsers cannot come in through it", [("url", url)])
            }
        } else {
            requestGuard.forgetTunnel()
        }
    }
}
