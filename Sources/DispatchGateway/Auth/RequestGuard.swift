/// Exact-origin and Host allow-list checks against cross-site WebSocket hijacking and DNS rebinding.
///
/// Everything is parsed strictly and compared whole: peer tools were bitten by prefix and regex checks that let
/// "http://localhost:3030.evil.com" through. Browsers serialise Origin and Host canonically, so anything unusual
/// comes from a non-browser client, which these checks do not need to accommodate.
public struct RequestGuard: Sendable {
    public let port: Int
    public let loopbackBound: Bool
    /// Normalised "scheme://host[:port]".
    let allowedOrigins: Set<String>
    /// Kept apart from `allowedOrigins`, which may be empty only because every entry was malformed: a typo in the
    /// configuration must not quietly switch to the derived mode.
    let originsConfigured: Bool
    /// Lower-case names; IPv6 literals in brackets.
    let allowedHosts: Set<String>
    /// The running tunnel's public name and origin (`admit(publicURL:)`), replaced when the tunnel restarts.
    var tunnel: (host: String, origin: String)?

    /// `allowedOrigins`: exact "scheme://host[:port]" strings (no trailing slash, compared exactly after lower-casing scheme and host; default ports 80/443 normalised away).
    /// `allowedHosts`: host names (no port) accepted in the Host header. When `loopbackBound`, "localhost", "127.0.0.1", "[::1]" and any IP literal are accepted too.
    public init(port: Int, allowedOrigins: [String], allowedHosts: [String], loopbackBound: Bool) {
        self.port = port
        self.loopbackBound = loopbackBound
        // A malformed configured origin could never equal a well-formed request origin, so it is simply inert.
        self.allowedOrigins = Set(allowedOrigins.compactMap { Self.normalizedOrigin($0) })
        self.originsConfigured = !allowedOrigins.isEmpty
        self.allowedHosts = Set(allowedHosts.map { name in
            let lowered = Self.asciiLowercased(name)
            return Self.isIPv6Literal("[\(lowered)]") ? "[\(lowered)]" : lowered
        })
    }

    /// The Host header value (may carry a port, may be an IPv6 literal in brackets); false for missing/foreign hosts.
    ///
    /// Any port is accepted: behind a reverse proxy or a port forward the Host port is not the one we listen on,
    /// and rebinding is about the name, not the port.
    public func hostAllowed(_ host: String?) -> Bool {
        guard let host, let authority = Self.parseAuthority(host) else { return false }
        return nameAllowed(authority.host)
    }

    /// For WebSocket upgrades and cookie-authenticated state-changing requests: missing, "null", or anything not exactly
    /// an allowed origin is refused. When `allowedOrigins` is empty, the allowed origins are derived from the request's
    /// own (allowed) Host: "http://<host>:<port>" and "https://<host>:<port>" (and without the port when it is 80/443).
    ///
    /// In the derived mode both the Host header's own port (none meaning the scheme's default, as browsers omit it)
    /// and the listening port count, so the same-origin case works behind a proxy without configuration.
    public func originAllowed(_ origin: String?, host: String?) -> Bool {
        guard let origin, let normalized = Self.normalizedOrigin(origin) else { return false }
        if normalized == tunnel?.origin { return true }
        if originsConfigured { return allowedOrigins.contains(normalized) }
        guard let host, let authority = Self.parseAuthority(host), nameAllowed(authority.host) else { return false }
        for scheme in ["http", "https"] {
            for candidatePort in [authority.port, port] {
                if Self.serialize(scheme: scheme, host: authority.host, port: candidatePort) == normalized { return true }
            }
        }
        return false
    }

    private func nameAllowed(_ name: String) -> Bool {
        if allowedHosts.contains(name) || name == tunnel?.host { return true }
        guard loopbackBound else { return false }
        // An IP literal cannot be rebound to another address, and on loopback only local clients reach us.
        return name == "localhost" || Self.isIPv4Literal(name) || Self.isIPv6Literal(name)
    }

    // MARK: Parsing

    /// "scheme://host[:port]" with the scheme and host lower-cased and a default port dropped; nil for anything else,
    /// including a trailing slash, a path, user info, or "null".
    static func normalizedOrigin(_ origin: String) -> String? {
        let utf8 = Array(origin.utf8)
        guard let separator = find(Array("://".utf8), in: utf8) else { return nil }
        let scheme = asciiLowercased(String(decoding: utf8[..<separator], as: UTF8.self))
        guard let first = scheme.utf8.first, isAlpha(first),
              scheme.utf8.allSatisfy({ isAlpha($0) || isDigit($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") })
        else { return nil }
        let rest = String(decoding: utf8[(separator + 3)...], as: UTF8.self)
        guard let authority = parseAuthority(rest) else { return nil }
        return serialize(scheme: scheme, host: authority.host, port: authority.port)
    }

    static func serialize(scheme: String, host: String, port: Int?) -> String {
        let defaultPort = scheme == "http" ? 80 : scheme == "https" ? 443 : nil
        guard let port, port != defaultPort else { return "\(scheme)://\(host)" }
        return "\(scheme)://\(host):\(port)"
    }

    /// "host[:port]" or "[v6][:port]", host lower-cased; nil for an empty host, a bad port or any stray character.
    static func parseAuthority(_ text: String) -> (host: String, port: Int?)? {
        let bytes = Array(asciiLowercased(text).utf8)
        var hostEnd: Int
        let host: String
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = String(decoding: bytes[...close], as: UTF8.self)
            guard isIPv6Literal(host) else { return nil }
            hostEnd = close + 1
        } else {
            hostEnd = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.count
            let name = bytes[..<hostEnd]
            guard !name.isEmpty, name.allSatisfy({ isAlpha($0) || isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") })
            else { return nil }
            host = String(decoding: name, as: UTF8.self)
        }
        if hostEnd == bytes.count { return (host, nil) }
        guard bytes[hostEnd] == UInt8(ascii: ":") else { return nil }
        let digits = bytes[(hostEnd + 1)...]
        // No leading zero: a browser never sends one, and "03030" must not pass for "3030".
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(isDigit), digits.first != UInt8(ascii: "0"),
              let port = Int(String(decoding: digits, as: UTF8.self)), (1...65535).contains(port)
        else { return nil }
        return (host, port)
    }

    /// Dotted-quad decimal only: the form browsers put in Host after canonicalising "127.1" or "0x7f.0.0.1".
    static func isIPv4Literal(_ name: String) -> Bool {
        let parts = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard (1...3).contains(part.count), part.allSatisfy(isDigit),
                  part.count == 1 || part.first != UInt8(ascii: "0"),
                  let value = Int(String(decoding: part, as: UTF8.self))
            else { return false }
            return value <= 255
        }
    }

    /// "[...]" holding only hex digits, colons and dots with at least two colons; no DNS name can look like that.
    static func isIPv6Literal(_ name: String) -> Bool {
        let utf8 = Array(name.utf8)
        guard utf8.count >= 4, utf8.first == UInt8(ascii: "["), utf8.last == UInt8(ascii: "]") else { return false }
        let inner = utf8[1..<(utf8.count - 1)]
        guard inner.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else { return false }
        return inner.filter { $0 == UInt8(ascii: ":") }.count >= 2
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// Unicode lower-casing would turn some non-ASCII letters (the Kelvin sign) into ASCII ones; here they stay
    /// non-ASCII and fail the character checks.
    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (0x41...0x5a).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func isAlpha(_ c: UInt8) -> Bool { (0x61...0x7a).contains(c | 0x20) }
    private static func isDigit(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) }
    private static func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (0x61...0x66).contains(c | 0x20) }
}
