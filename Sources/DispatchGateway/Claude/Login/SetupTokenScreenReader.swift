/// Reads what `claude setup-token` draws on its terminal, chunk by chunk, and says what it saw: the
/// sign-in URL, the code prompt, the new token, or an OAuth error. Pure: bytes in, sightings out.
///
/// The CLI is an Ink TUI. It positions words with cursor moves (`CSI n G`), which are gaps, not glue;
/// it wraps the URL in an OSC-8 hyperlink, whose target is taken first; older CLIs print a plain
/// `https://` URL. Every sighting is reported once, however often the TUI redraws it. Memory is
/// bounded: an overlong line keeps its tail, an overlong escape sequence is dropped.
struct SetupTokenScreenReader {
    enum Sighting: Equatable {
        case signInURL(String)
        case codePrompt
        case token(String)
        /// An `OAuth error: …` line (an invalid code, an unreachable sign-in service).
        case failure(String)
    }

    static let maxLineBytes = 16 * 1024
    static let maxEscapeBytes = 8 * 1024
    static let maxURLBytes = 4096
    /// `sk-ant-oat01-` and enough after it that a placeholder such as `sk-ant-oat01-…` is not taken.
    static let minTokenBytes = 40

    private static let https = Array("https://".utf8)
    private static let tokenPrefix = Array("sk-ant-oat".utf8)
    private static let oauthError = Array("OAuth error:".utf8)
    private static let prompt = Array("Paste code here".utf8)

    private enum Mode { case text, escape, csi, osc, oscEscape, ignoredString, ignoredStringEscape }

    private var mode = Mode.text
    private var line: [UInt8] = []
    private var escape: [UInt8] = []
    private var reportedURL = false
    private var reportedPrompt = false
    private var reportedToken = false
    private var reportedFailure = false

    /// The sign-in URL comes before the code prompt; later links (where to revoke the token) are not it.
    private var lookingForURL: Bool { !reportedURL && !reportedPrompt && !reportedToken }

    /// What is held between chunks: the unfinished line and escape sequence.
    var bufferedBytes: Int { line.count + escape.count }

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Sighting] {
        var sightings: [Sighting] = []
        for byte in bytes { consume(byte, into: &sightings) }
        // The prompt waits for input on an unfinished line, so it is looked for before the line ends.
        checkPrompt(into: &sightings)
        return sightings
    }

    private mutating func consume(_ byte: UInt8, into sightings: inout [Sighting]) {
        switch mode {
        case .text:
            switch byte {
            case 0x1B: mode = .escape
            case 0x0A, 0x0D: endLine(into: &sightings)
            case 0x09: append(0x20)
            case 0x00..<0x20, 0x7F: break
            default: append(byte)
            }
        case .escape:
            escape = []
            switch byte {
            case UInt8(ascii: "["): mode = .csi
            case UInt8(ascii: "]"): mode = .osc
            // DCS, SOS, PM, APC: strings that carry nothing for us.
            case UInt8(ascii: "P"), UInt8(ascii: "X"), UInt8(ascii: "^"), UInt8(ascii: "_"): mode = .ignoredString
            default: mode = .text  // a two-byte sequence (ESC 7, ESC =, …)
            }
        case .csi:
            if (0x40...0x7E).contains(byte) {
                mode = .text
                cursorMoved(final: byte, into: &sightings)
            } else if escape.count < 32 {
                escape.append(byte)
            }
        case .osc:
            switch byte {
            case 0x07: finishOSC(into: &sightings)
            case 0x1B: mode = .oscEscape
            default:
                if escape.count < Self.maxEscapeBytes { escape.append(byte) } else { mode = .ignoredString }
            }
        case .oscEscape:
            // ESC \ ends the string; any other ESC begins a new sequence and abandons this one.
            if byte == UInt8(ascii: "\\") { finishOSC(into: &sightings) } else { mode = .escape; consume(byte, into: &sightings) }
        case .ignoredString:
            if byte == 0x07 { mode = .text } else if byte == 0x1B { mode = .ignoredStringEscape }
        case .ignoredStringEscape:
            mode = byte == UInt8(ascii: "\\") ? .text : .ignoredString
        }
    }

    private mutating func append(_ byte: UInt8) {
        line.append(byte)
        if line.count > Self.maxLineBytes { line.removeFirst(line.count - Self.maxLineBytes / 2) }
    }

    /// Horizontal moves leave a gap between words; vertical moves, erases and jumps end the line.
    private mutating func cursorMoved(final: UInt8, into sightings: inout [Sighting]) {
        switch final {
        case UInt8(ascii: "G"), UInt8(ascii: "C"), UInt8(ascii: "`"): append(0x20)
        case UInt8(ascii: "A"), UInt8(ascii: "B"), UInt8(ascii: "E"), UInt8(ascii: "F"), UInt8(ascii: "H"),
             UInt8(ascii: "f"), UInt8(ascii: "J"), UInt8(ascii: "K"), UInt8(ascii: "d"):
            endLine(into: &sightings)
        default: break  // colours, modes, cursor visibility
        }
    }

    /// `ESC ] 8 ; params ; uri ST`: a hyperlink; its target is the sign-in URL when it is one.
    private mutating func finishOSC(into sightings: inout [Sighting]) {
        mode = .text
        guard escape.starts(with: Array("8;".utf8)), lookingForURL else { return }
        let rest = escape.dropFirst(2)
        guard let separator = rest.firstIndex(of: UInt8(ascii: ";")) else { return }
        if let url = Self.url(in: rest[(separator + 1)...]) { report(.signInURL(url), into: &sightings) }
    }

    private mutating func endLine(into sightings: inout [Sighting]) {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else { return }
        if lookingForURL, let start = line.firstRange(of: Self.https)?.lowerBound {
            if let url = Self.url(in: line[start...].prefix { $0 > 0x20 && $0 < 0x7F }) { report(.signInURL(url), into: &sightings) }
        }
        checkPrompt(into: &sightings)
        if !reportedToken, let start = line.firstRange(of: Self.tokenPrefix)?.lowerBound {
            let token = line[start...].prefix { Self.isTokenByte($0) }
            if token.count >= Self.minTokenBytes { report(.token(String(decoding: token, as: UTF8.self)), into: &sightings) }
        }
        if !reportedFailure, let start = line.firstRange(of: Self.oauthError)?.lowerBound {
            let message = String(decoding: line[start...], as: UTF8.self)
            report(.failure(String(Substring(message).trimmingSpaces)), into: &sightings)
        }
    }

    /// The program ended: what is left on the last line counts too.
    mutating func finish() -> [Sighting] {
        var sightings: [Sighting] = []
        endLine(into: &sightings)
        return sightings
    }

    private mutating func checkPrompt(into sightings: inout [Sighting]) {
        if !reportedPrompt, line.firstRange(of: Self.prompt) != nil { report(.codePrompt, into: &sightings) }
    }

    private mutating func report(_ sighting: Sighting, into sightings: inout [Sighting]) {
        switch sighting {
        case .signInURL: reportedURL = true
        case .codePrompt: reportedPrompt = true
        case .token: reportedToken = true
        case .failure: reportedFailure = true
        }
        sightings.append(sighting)
    }

    /// An https URL of printable ASCII without spaces, within bounds.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }

    private static func url(in bytes: ArraySlice<UInt8>) -> String? {
        guard bytes.starts(with: https), bytes.count > 8, bytes.count <= maxURLBytes,
              bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
