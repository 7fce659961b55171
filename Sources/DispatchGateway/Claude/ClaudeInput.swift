/// The lines a Claude session writes to the CLI's stdin (stream-json input), each one JSON object
/// followed by a newline. Control requests are numbered by the session.
public enum ClaudeInput {
    public static func userMessage(_ text: String) -> [UInt8] {
        line(.object([
            ("type", .string("user")),
            ("message", .object([("role", .string("user")), ("content", .string(text))])),
            ("parent_tool_use_id", .null), ("session_id", .string("default")),
        ]))
    }

    /// Stops the current turn; the CLI stays for the next message.
    public static func interrupt(requestId: String) -> [UInt8] {
        line(.object([
            ("type", .string("control_request")), ("request_id", .string(requestId)),
            ("request", .object([("subtype", .string("interrupt"))])),
        ]))
    }

    /// The answer to a `can_use_tool` control request. Allowing passes the tool's input on unchanged.
    public static func permissionAnswer(requestId: String, allow: Bool, input: JSON, message: String?) -> [UInt8] {
        let decision: JSON = allow
            ? .object([("behavior", .string("allow")), ("updatedInput", input)])
            : .object([("behavior", .string("deny")), ("message", .string(message ?? "The user denied this."))])
        return line(.object([
            ("type", .string("control_response")),
            ("response", .object([("subtype", .string("success")), ("request_id", .string(requestId)), ("response", decision)])),
        ]))
    }

    private static func line(_ json: JSON) -> [UInt8] {
        json.bytes + [UInt8(ascii: "\n")]
    }
}
