extension WireCodec {
    /// Decodes one frame's type byte and body, the inverse of `encode`. `frame` covers the type
    /// byte and body (never empty); the caller has already checked it against the length limit.
    static func decodeFrame(_ storage: [UInt8], frame: Range<Int>) throws(WireError) -> WireMessage {
        let typeByte = storage[frame.lowerBound]
        guard let type = FrameType(rawValue: typeByte) else { throw .unknownType(typeByte) }
        var body = BodyReader(storage, body: frame.lowerBound + 1..<frame.upperBound, type: typeByte)
        let message = try decodeBody(type, &body)
        try body.finish()
        return message
    }

    private static func decodeBody(_ type: FrameType, _ body: inout BodyReader) throws(WireError) -> WireMessage {
        switch type {
        case .hello:
            // A short body is truncation like anywhere else; only wrong magic bytes are badMagic.
            guard try body.integer(UInt32.self) == helloMagic else { throw .badMagic }
            return .hello(Hello(
                version: try body.integer(),
                sessionId: try body.stringField(),
                secret: try body.bytesField(),
                programPid: try body.int32(),
                lastSeq: try body.integer()
            ))
        case .welcome:
            return .welcome(Welcome(
                version: try body.integer(),
                resumeAfter: try body.integer(),
                window: try body.integer()
            ))
        case .input:
            return .input(body.rest())
        case .resize:
            return .resize(cols: try body.integer(), rows: try body.integer())
        case .output:
            return .output(seq: try body.integer(), bytes: body.rest())
        case .event:
            return .event(seq: try body.integer(), channel: try body.stringField(), payload: body.rest())
        case .exit:
            let seq: UInt64 = try body.integer()
            let kindByte: UInt8 = try body.integer()
            guard let kind = ExitKind(rawValue: kindByte) else { throw .unknownType(kindByte) }
            let value = try body.int32()
            switch kind {
            case .exited: return .exit(seq: seq, .exited(code: value))
            case .signaled: return .exit(seq: seq, .signaled(signal: value))
            }
        case .fatal:
            return .fatal(message: try body.restString())
        case .ping:
            return .ping(nonce: try body.integer())
        case .pong:
            return .pong(nonce: try body.integer())
        case .ack:
            return .ack(seq: try body.integer())
        case .close:
            return .close(reason: try body.restString())
        }
    }
}
