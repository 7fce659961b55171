/// Finds the public URL in what a tunnel client prints ("your url is: https://x.loca.lt"): the first
/// http(s) URL on a complete line, optionally only one containing `match`. Pure: fed bytes, no I/O.
struct PublicURLScanner {
    /// A longer line is cut: no tunnel client prints its URL that far in, and memory stays bounded.
    static let maxLineBytes = 4096

    let match: String?
    private var line: [UInt8] = []

    init(match: String? = nil) {
        self.match = match
    }

    /// Every complete line in `bytes` (for the log), and the first URL found in them, if any.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> (lines: [String], url: String?) {
        var lines: [String] = []
        var url: String?
        for byte in bytes {
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                guard !line.isEmpty else { continue }
                let text = String(decoding: line, as: UTF8.self)
                line.removeAll(keepingCapacity: true)
                lines.append(text)
                if url == nil { url = firstURL(in: text) }
            } else if line.count < Self.maxLineBytes {
                line.append(byte)
            }
        }
        return (lines, url)
    }

    func firstURL(in text: String) -> String? {
        var rest = Substring(text)
        while let start = rest.firstRange(of: "http") {
            let candidate = rest[start.lowerBound...].prefix { !Self.ends($0) }
            rest = rest[start.upperBound...]
            guard let url = Self.trimmed(candidate) else { continue }
            if let match, !url.contains(match) { continue }
            return url
        }
        return nil
    }

    /// "https://host..." with a host, minus trailing punctuation that belongs to the sentence.
    private static func trimmed(_ candidate: Substring) -> String? {
        var url = candidate
        while let last = url.last, ".,;:)]}!?".contains(last) { url.removeLast() }
        for scheme in ["https://", "http://"] where url.hasPrefix(scheme) {
            let host = url.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return host.isEmpty ? nil : String(url)
        }
        return nil
    }

    private static func ends(_ character: Character) -> Bool {
        character.isWhitespace || "\"'<>|`\u{1B}".contains(character)
    }
}
