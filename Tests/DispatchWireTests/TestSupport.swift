import DispatchTestSupport
import DispatchWire
import XCTest

/// Deterministic generator so a failing random case can be replayed from its seed.


enum Samples {
    static let unicode = "héllo wörld – ✓ 日本語 🧑‍💻 \u{0}"

    /// At least one of every message type, with empty, unicode and extreme values.
    static let messages: [WireMessage] = [
        .hello(Hello(sessionId: "s-123", secret: Array(0..<32), programPid: 4242, lastSeq: 17)),
        .hello(Hello(version: 0, sessionId: "", secret: [], programPid: 0, lastSeq: 0)),
        .hello(Hello(version: .max, sessionId: unicode, secret: [0xFF], programPid: -1, lastSeq: .max)),
        .welcome(Welcome(resumeAfter: 99, window: 1 << 20)),
        .welcome(Welcome(version: .max, resumeAfter: .max, window: .max)),
        .input([]),
        .input(Array("ls -la\r".utf8)),
        .resize(cols: 80, rows: 24),
        .resize(cols: .max, rows: 0),
        .output(seq: 1, bytes: []),
        .output(seq: .max, bytes: Array(0...255)),
        .event(seq: 5, channel: "claude", payload: Array(#"{"type":"x"}"#.utf8)),
        .event(seq: 0, channel: "", payload: []),
        .event(seq: 7, channel: unicode, payload: [0xC3]),
        .exit(seq: 9, .exited(code: 0)),
        .exit(seq: 10, .exited(code: Int32.min)),
        .exit(seq: 11, .signaled(signal: 9)),
        .fatal(message: "no such shell: /bin/zsh"),
        .fatal(message: ""),
        .fatal(message: unicode),
        .ping(nonce: 0),
        .pong(nonce: .max),
        .ack(seq: 123_456_789),
        .close(reason: ""),
        .close(reason: unicode),
    ]

    /// Byte count of the count-less field that runs to the end of the body, 0 if none.
    static func restLength(of message: WireMessage) -> Int {
        switch message {
        case .input(let bytes), .output(_, let bytes), .event(_, _, let bytes): return bytes.count
        case .fatal(let text), .close(let text): return text.utf8.count
        case .hello, .welcome, .resize, .exit, .ping, .pong, .ack: return 0
        }
    }

    static func random(using rng: inout SplitMix64) -> WireMessage {
        func bytes(_ rng: inout SplitMix64) -> [UInt8] {
            // Mostly small, sometimes a realistic output chunk.
            let count = rng.next() % 8 == 0 ? Int.random(in: 0...65_536, using: &rng) : Int.random(in: 0...40, using: &rng)
            return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        func string(_ rng: inout SplitMix64) -> String {
            let count = Int.random(in: 0...12, using: &rng)
            let pool = Array("aZ09 -_/é✓日🧑‍💻\n\u{0}")
            return String((0..<count).map { _ in pool[Int.random(in: 0..<pool.count, using: &rng)] })
        }
        switch rng.next() % 12 {
        case 0:
            return .hello(Hello(
                version: .random(in: 0...3, using: &rng), sessionId: string(&rng), secret: bytes(&rng),
                programPid: .random(in: .min ... .max, using: &rng), lastSeq: rng.next()))
        case 1: return .welcome(Welcome(resumeAfter: rng.next(), window: .random(in: 0 ... .max, using: &rng)))
        case 2: return .input(bytes(&rng))
        case 3: return .resize(cols: .random(in: 0 ... .max, using: &rng), rows: .random(in: 0 ... .max, using: &rng))
        case 4: return .output(seq: rng.next(), bytes: bytes(&rng))
        case 5: return .event(seq: rng.next(), channel: string(&rng), payload: bytes(&rng))
        case 6:
            let value = Int32.random(in: .min ... .max, using: &rng)
            return .exit(seq: rng.next(), rng.next() % 2 == 0 ? .exited(code: value) : .signaled(signal: value))
        case 7: return .fatal(message: string(&rng))
        case 8: return .ping(nonce: rng.next())
        case 9: return .pong(nonce: rng.next())
        case 10: return .ack(seq: rng.next())
        default: return .close(reason: string(&rng))
        }
    }
}

/// A frame assembled by hand, for bodies the encoder would never produce.
func rawFrame(type: UInt8, body: [UInt8], declaredLength: Int? = nil) -> [UInt8] {
    be32(UInt32(declaredLength ?? body.count + 1)) + [type] + body
}

func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

func be32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }

func be64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }

/// Drains a decoder: the messages it yields, then the error that stopped it, if any.
func drain(_ decoder: inout FrameDecoder) -> (messages: [WireMessage], error: WireError?) {
    var messages: [WireMessage] = []
    do throws(WireError) {
        while let message = try decoder.next() { messages.append(message) }
        return (messages, nil)
    } catch {
        return (messages, error)
    }
}

func decodeAll(_ bytes: [UInt8]) -> (messages: [WireMessage], error: WireError?) {
    var decoder = FrameDecoder()
    decoder.append(bytes)
    return drain(&decoder)
}

/// The decoder's verdict on a single frame fed in one piece.
func decodeOne(_ frame: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Result<WireMessage, WireError>? {
    var decoder = FrameDecoder()
    decoder.append(frame)
    do throws(WireError) {
        guard let message = try decoder.next() else { return nil }
        XCTAssertEqual(decoder.bufferedByteCount, 0, "frame not fully consumed", file: file, line: line)
        return .success(message)
    } catch {
        return .failure(error)
    }
}
