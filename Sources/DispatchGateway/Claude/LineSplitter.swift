/// Cuts a byte stream into lines (without their `\n`, and without a `\r` before it). A line longer
/// than `maxLineLength` is reported once as too long and skipped up to its end, so memory stays bounded
/// whatever the program prints.
public struct LineSplitter: Sendable {
    public enum Piece: Equatable, Sendable {
        case line([UInt8])
        /// A line passed the limit; its bytes are dropped up to the next newline.
        case tooLong
    }

    public let maxLineLength: Int
    private var partial: [UInt8] = []
    private var skipping = false

    public init(maxLineLength: Int) {
        self.maxLineLength = maxLineLength
    }

    public mutating func feed(_ bytes: [UInt8]) -> [Piece] {
        var pieces: [Piece] = []
        var start = 0
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n"))
            let end = newline ?? bytes.count
            if !skipping {
                if partial.count + (end - start) > maxLineLength {
                    pieces.append(.tooLong)
                    partial = []
                    skipping = true
                } else {
                    partial += bytes[start..<end]
                }
            }
            guard let newline else { break }
            if !skipping { pieces.append(.line(takeLine())) }
            partial = []
            skipping = false
            start = newline + 1
        }
        return pieces
    }

    /// The stream ended: a last line without a newline still counts.
    public mutating func finish() -> [Piece] {
        defer { partial = []; skipping = false }
        return partial.isEmpty ? [] : [.line(takeLine())]
    }

    private mutating func takeLine() -> [UInt8] {
        var line = partial
        partial = []
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }
}
