/// A tunnel forwards browsers that came to its public name, with that name in `Host` and its
/// https origin in `Origin`: both are let in while that tunnel runs, and only that tunnel's.
extension RequestGuard {
    /// Lets in the host and origin of `publicURL` ("https://name.loca.lt/..."); false when it is no URL.
    mutating func admit(publicURL: String) -> Bool {
        guard let separator = publicURL.firstRange(of: "://") else { return false }
        let authorityEnd = publicURL[separator.upperBound...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? publicURL.endIndex
        let origin = String(publicURL[..<authorityEnd])
        guard let normalized = Self.normalizedOrigin(origin),
              let authority = Self.parseAuthority(String(publicURL[separator.upperBound..<authorityEnd]))
        else { return false }
        tunnel = (authority.host, normalized)
        return true
    }

    mutating func forgetTunnel() {
        tunnel = nil
    }
}
