import DispatchPosix
import DispatchStore

/// How session events look on the wire: the `run:event` message and the payload JSON of each kind of event.
extension SessionHub {
    /// The `run:event` message, built around the payload's JSON text (written once, when the event arrived).
    static func message(_ event: StoredEvent) -> String {
        "{\"type\":\"run:event\",\"runId\":" + JSONString.quoted(event.runId) + "," + fields(event) + "}"
    }

    /// `"seq":…,"channel":…,"payload":…,"ts":…`, shared by the WebSocket and the REST history.
    static func fields(_ event: StoredEvent) -> String {
        "\"seq\":\(event.seq),\"channel\":" + JSONString.quoted(event.channel) + ",\"payload\":" + event.payload + ",\"ts\":\(event.ts)"
    }

    static func payload(_ body: SessionEvent.Body) -> JSON {
        switch body {
        case .output(let text):
            return .string(text)
        case .exit(let exit):
            return switch exit {
            case .exited(let code): .object([("exitCode", .int(code)), ("signal", .null)])
            case .signaled(let signal): .object([("exitCode", .null), ("signal", .string(SignalNames.name(signal)))])
            }
        case .status(let change):
            var members: [(String, JSON)] = [("status", .string(change.kind.rawValue)), ("restarts", .int(change.restarts))]
            if let detail = change.detail { members.append(("detail", .string(detail))) }
            if change.adopted { members.append(("adopted", .bool(true))) }
            return .object(members)
        case .worker(_, let payload):
            return JSON.parse(payload) ?? .string(String(decoding: payload, as: UTF8.self))
        }
    }
}

enum SignalNames {
    static func name(_ signal: Int32) -> String {
        let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 8: "SIGFPE", 9: "SIGKILL",
                                      11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"]
        return names[signal] ?? "SIG\(signal)"
    }
}
