/// Public access through a tunnel client (LocalTunnel's `lt`, cloudflared, `ssh -R`, ...): whether to
/// run one, and which. Read from ENABLE_TUNNEL, LT_SUBDOMAIN, TUNNEL_COMMAND and TUNNEL_URL_MATCH.
public struct TunnelSettings: Sendable, Equatable {
    public var enabled = false
    /// Asks LocalTunnel for `https://<subdomain>.loca.lt`.
    public var subdomain: String?
    /// A shell command run instead of `lt`, with PORT in its environment.
    public var command: String?
    /// Only a URL containing this text is taken as the public one (cloudflared prints other links first).
    public var urlMatch: String?

    public init() {}

    init(environment values: [String: String]) throws(GatewayConfig.Invalid) {
        enabled = try GatewayConfig.flag(values, "ENABLE_TUNNEL")
        if let name = values["LT_SUBDOMAIN"], !name.isEmpty {
            guard Self.isSubdomain(name) else {
                throw GatewayConfig.Invalid(variable: "LT_SUBDOMAIN", value: name, expected: "lower-case letters, digits and '-' (at most 63)")
            }
            subdomain = name
        }
        command = values["TUNNEL_COMMAND"].flatMap { $0.isEmpty ? nil : $0 }
        urlMatch = values["TUNNEL_URL_MATCH"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func isSubdomain(_ name: String) -> Bool {
        name.utf8.count <= 63 && name.first != "-" && name.last != "-"
            && name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }
}
