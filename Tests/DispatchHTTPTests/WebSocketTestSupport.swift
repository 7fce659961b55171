import DispatchTestSupport
import DispatchHTTP
import XCTest

/// Deterministic generator so a failing random case can be replayed from its seed (SplitMix64).
/// Named for this suite so it cannot clash with the HTTP tests' helpers in the same target.


/// Client frames built by hand, so the tests do not trust the writer they also test.
enum WebSocketFixtures {
    static let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

    enum LengthForm { case minimal, sixteen, sixtyFour }

    static func frame(
        opcode: UInt8,
        _ payload: [UInt8],
        fin: Bool = true,
        rsv: UInt8 = 0,
        mask: [UInt8]? = WebSocketFixtures.mask,
        length form: LengthForm = .minimal
    ) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | rsv << 4 | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        let count = payload.count
        let resolved: LengthForm = form != .minimal ? form : count < 126 ? .minimal : count <= 0xFFFF ? .sixteen : .sixtyFour
        switch resolved {
        case .minimal:
            bytes.append(maskBit | UInt8(count))
        case .sixteen:
            bytes += [maskBit | 126, UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
        case .sixtyFour:
            bytes.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(UInt64(count) >> UInt64(shift) & 0xFF)) }
        }
        if let mask {
            bytes += mask
            bytes += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        } else {
            bytes += payload
        }
        return bytes
    }

    static func text(_ text: String, fin: Bool = true) -> [UInt8] { frame(opcode: 0x1, Array(text.utf8), fin: fin) }
    static func binary(_ bytes: [UInt8], fin: Bool = true) -> [UInt8] { frame(opcode: 0x2, bytes, fin: fin) }
    static func continuation(_ bytes: [UInt8], fin: Bool) -> [UInt8] { frame(opcode: 0x0, bytes, fin: fin) }
    static func ping(_ bytes: [UInt8]) -> [UInt8] { frame(opcode: 0x9, bytes) }

    static func close(code: UInt16, reason: [UInt8] = []) -> [UInt8] {
        frame(opcode: 0x8, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
    }

    typealias Outcome = (messages: [WebSocketMessage], error: WebSocketError?)

    /// Every message the reader yields until it wants more bytes or throws.
    static func drain(_ reader: inout WebSocketReader) -> Outcome {
        var messages: [WebSocketMessage] = []
        do {
            while let message = try reader.next() { messages.append(message) }
            return (messages, nil)
        } catch {
            return (messages, error)
        }
    }

    static func read(_ bytes: [UInt8], maxMessageBytes: Int = 1 << 20, requireMasked: Bool = true) -> Outcome {
        var reader = WebSocketReader(maxMessageBytes: maxMessageBytes, requireMasked: requireMasked)
        reader.append(bytes)
        return drain(&reader)
    }

    /// Feeds `chunks` one append at a time, stopping at the first error.
    static func read(chunks: [[UInt8]], maxMessageBytes: Int = 1 << 20) -> Outcome {
        var reader = WebSocketReader(maxMessageBytes: maxMessageBytes)
        var messages: [WebSocketMessage] = []
        for chunk in chunks {
            reader.append(chunk)
            let step = drain(&reader)
            messages += step.messages
            if let error = step.error { return (messages, error) }
        }
        return (messages, nil)
    }

    static func error(_ bytes: [UInt8], maxMessageBytes: Int = 1 << 20) -> WebSocketError? {
        read(bytes, maxMessageBytes: maxMessageBytes).error
    }
}

extension UTF8Validator {
    mutating func feed(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { feed($0) }
    }
}
