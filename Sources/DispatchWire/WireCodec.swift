/// Encodes messages into frames; `FrameDecoder` does the reverse.
///
/// Frame layout
/// ------------
/// Every frame is `[u32 length][u8 type][body]`. `length` counts the type byte plus the body,
/// so it is 1...`WireLimits.maxFrameLength`; a receiver can reject a frame from its first four
/// bytes alone. All integers are big-endian; i32 is the two's-complement bit pattern of a u32.
///
/// Two variable-size field shapes appear inside bodies:
/// - `bytes`: a u32 count followed by that many bytes.
/// - `string`: a `bytes` field whose content must be valid UTF-8.
/// A message's last variable-size field ("the rest") has no count: it runs to the end of the
/// frame. That keeps the hot `output` path to one header plus one copy.
///
/// | type | code | body |
/// | ---- | ---- | ---- |
/// | hello   | 0x01 | u32 magic 0x44535057 ("DSPW"), u16 version, string sessionId, bytes secret, i32 programPid, u64 lastSeq |
/// | welcome | 0x02 | u16 version, u64 resumeAfter, u32 window |
/// | input   | 0x10 | rest: bytes |
/// | resize  | 0x11 | u16 cols, u16 rows |
/// | output  | 0x20 | u64 seq, rest: bytes |
/// | event   | 0x21 | u64 seq, string channel, rest: payload bytes |
/// | exit    | 0x22 | u64 seq, u8 kind (0 exited, 1 signaled), i32 code or signal |
/// | fatal   | 0x23 | rest: UTF-8 message |
/// | ping    | 0x30 | u64 nonce |
/// | pong    | 0x31 | u64 nonce |
/// | ack     | 0x32 | u64 seq |
/// | close   | 0x3F | rest: UTF-8 reason |
///
/// The encoding is canonical: a decoded frame re-encodes to exactly the same bytes, because
/// there are no optional fields and a body with anything after its last field is rejected.
/// The magic in hello makes a gateway that is handed a stray socket fail fast and clearly.
public enum WireCodec {
    public static func encode(_ message: WireMessage) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(frameCapacityHint(message))
        encode(message, into: &frame)
        return frame
    }

    /// Appends one whole frame. Messages longer than `WireLimits.maxFrameLength` still encode,
    /// but the peer rejects them: senders keep output chunks well under the limit.
    public static func encode(_ message: WireMessage, into buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: [0, 0, 0, 0])  // length, patched once the body is written
        switch message {
        case .hello(let hello):
            buffer.append(FrameType.hello.rawValue)
            buffer.appendInteger(helloMagic)
            buffer.appendInteger(hello.version)
            buffer.appendField(hello.sessionId)
            buffer.appendField(hello.secret)
            buffer.appendInteger(hello.programPid)
            buffer.appendInteger(hello.lastSeq)
        case .welcome(let welcome):
            buffer.append(FrameType.welcome.rawValue)
            buffer.appendInteger(welcome.version)
            buffer.appendInteger(welcome.resumeAfter)
            buffer.appendInteger(welcome.window)
        case .input(let bytes):
            buffer.append(FrameType.input.rawValue)
            buffer.append(contentsOf: bytes)
        case .resize(let cols, let rows):
            buffer.append(FrameType.resize.rawValue)
            buffer.appendInteger(cols)
            buffer.appendInteger(rows)
        case .output(let seq, let bytes):
            buffer.append(FrameType.output.rawValue)
            buffer.appendInteger(seq)
            buffer.append(contentsOf: bytes)
        case .event(let seq, let channel, let payload):
            buffer.append(FrameType.event.rawValue)
            buffer.appendInteger(seq)
            buffer.appendField(channel)
            buffer.append(contentsOf: payload)
        case .exit(let seq, let status):
            buffer.append(FrameType.exit.rawValue)
            buffer.appendInteger(seq)
            switch status {
            case .exited(let code):
                buffer.append(ExitKind.exited.rawValue)
                buffer.appendInteger(code)
            case .signaled(let signal):
                buffer.append(ExitKind.signaled.rawValue)
                buffer.appendInteger(signal)
            }
        case .fatal(let message):
            buffer.append(FrameType.fatal.rawValue)
            buffer.append(contentsOf: message.utf8)
        case .ping(let nonce):
            buffer.append(FrameType.ping.rawValue)
            buffer.appendInteger(nonce)
        case .pong(let nonce):
            buffer.append(FrameType.pong.rawValue)
            buffer.appendInteger(nonce)
        case .ack(let seq):
            buffer.append(FrameType.ack.rawValue)
            buffer.appendInteger(seq)
        case .close(let reason):
            buffer.append(FrameType.close.rawValue)
            buffer.append(contentsOf: reason.utf8)
        }
        let length = buffer.count - start - 4
        // Only a caller bug (a multi-GiB message) gets here; a wrapped length would desync the stream.
        precondition(length <= Int(UInt32.max), "wire message too large to frame")
        buffer.patchLength(UInt32(length), at: start)
    }

    /// Enough for the fixed fields plus the variable ones, so `encode(_:)` allocates once.
    private static func frameCapacityHint(_ message: WireMessage) -> Int {
        let fixed = 32
        switch message {
        case .hello(let hello): return fixed + hello.sessionId.utf8.count + hello.secret.count
        case .input(let bytes), .output(_, let bytes): return fixed + bytes.count
        case .event(_, let channel, let payload): return fixed + channel.utf8.count + payload.count
        case .fatal(let text), .close(let text): return fixed + text.utf8.count
        case .welcome, .resize, .exit, .ping, .pong, .ack: return fixed
        }
    }
}

/// The type byte that follows the length.
enum FrameType: UInt8 {
    case hello = 0x01
    case welcome = 0x02
    case input = 0x10
    case resize = 0x11
    case output = 0x20
    case event = 0x21
    case exit = 0x22
    case fatal = 0x23
    case ping = 0x30
    case pong = 0x31
    case ack = 0x32
    case close = 0x3F
}

/// The kind byte inside an exit body.
enum ExitKind: UInt8 {
    case exited = 0
    case signaled = 1
}

/// "DSPW"
let helloMagic: UInt32 = 0x4453_5057

extension [UInt8] {
    fileprivate mutating func appendInteger(_ value: some FixedWidthInteger) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    fileprivate mutating func appendField(_ bytes: [UInt8]) {
        appendInteger(UInt32(bytes.count))
        append(contentsOf: bytes)
    }

    fileprivate mutating func appendField(_ string: String) {
        appendInteger(UInt32(string.utf8.count))
        append(contentsOf: string.utf8)
    }

    fileprivate mutating func patchLength(_ length: UInt32, at index: Int) {
        self[index] = UInt8(truncatingIfNeeded: length >> 24)
        self[index + 1] = UInt8(truncatingIfNeeded: length >> 16)
        self[index + 2] = UInt8(truncatingIfNeeded: length >> 8)
        self[index + 3] = UInt8(truncatingIfNeeded: length)
    }
}
