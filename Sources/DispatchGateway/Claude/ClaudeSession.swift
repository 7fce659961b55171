/// One Claude session on the gateway side: its conversation and options, the translator of what its
/// CLI prints, and the numbering of its control requests. It is the session's adapter in the
/// supervisor, so each new CLI process gets `--session-id` until a message was sent, `--resume` after.
/// Loop-confined.
final class ClaudeSession: SessionAdapter {
    let executable: String
    let options: ClaudeOptions
    let conversationId: String
    /// A user message went to the CLI, so a transcript exists: later processes resume it.
    private(set) var conversationStarted: Bool
    private var translator: ClaudeStreamTranslator
    private var requestCounter = 0
    /// Recently answered request ids, to tell "answered already" from "unknown".
    private var answered: [String] = []
    /// The meta (pending permissions, conversation state) changed.
    var onMetaChanged: () -> Void = {}

    init(executable: String, options: ClaudeOptions, conversationId: String, conversationStarted: Bool,
         pendingPermissions: [ClaudeStreamTranslator.Permission] = []) {
        translator = ClaudeStreamTranslator(pending: pendingPermissions)
        self.executable = executable
        self.options = options
        self.conversationId = conversationId
        self.conversationStarted = conversationStarted
    }

    var commandLine: ClaudeCommandLine {
        ClaudeCommandLine(executable: executable, options: options,
                          conversation: conversationStarted ? .resume(id: conversationId) : .start(id: conversationId))
    }

    // MARK: SessionAdapter

    func workerStarting() -> (command: [String], events: [SessionEvent.Body]) {
        (commandLine.arguments, tracking { $0.processStarting() })
    }

    func output(_ bytes: [UInt8]) -> [SessionEvent.Body] {
        tracking { $0.output(bytes) }
    }

    func event(channel: String, payload: [UInt8]) -> [SessionEvent.Body] {
        guard channel == "claude:stderr" else { return [.worker(channel: channel, payload: payload)] }
        return tracking { $0.diagnostics(payload) }
    }

    func programEnded() -> [SessionEvent.Body] {
        tracking { $0.processEnded() }
    }

    private func tracking(_ step: (inout ClaudeStreamTranslator) -> [SessionEvent.Body]) -> [SessionEvent.Body] {
        let before = translator.pending.map(\.requestId)
        let events = step(&translator)
        if translator.pending.map(\.requestId) != before { onMetaChanged() }
        return events
    }

    // MARK: what the user does

    /// Call once the message went to the CLI.
    func messageSent() {
        guard !conversationStarted else { return }
        conversationStarted = true
        onMetaChanged()
    }

    func interruptLine() -> [UInt8] {
        requestCounter += 1
        return ClaudeInput.interrupt(requestId: "dispatch_\(requestCounter)")
    }

    enum AnswerError: Error, Equatable {
        case unknown
        case answeredAlready
    }

    /// The line that answers a pending permission request, and the event that says so.
    func answer(requestId: String, allow: Bool, message: String?) throws(AnswerError) -> (line: [UInt8], event: SessionEvent.Body) {
        guard let permission = translator.take(requestId: requestId) else {
            throw answered.contains(requestId) ? .answeredAlready : .unknown
        }
        answered.append(requestId)
        if answered.count > 1000 { answered.removeFirst(answered.count - 1000) }
        onMetaChanged()
        var fields: [(String, JSON)] = [("requestId", .string(requestId)), ("state", .string(allow ? "allowed" : "denied"))]
        if let message { fields.append(("message", .string(message))) }
        return (ClaudeInput.permissionAnswer(requestId: requestId, allow: allow, input: permission.input, message: message),
                ClaudeStreamTranslator.event("claude:permission", fields))
    }

    // MARK: meta

    var meta: [(String, JSON)] {
        var members: [(String, JSON)] = [("claudeSessionId", .string(conversationId)), ("permissionMode", .string(options.permissionMode))]
        if let model = options.model { members.append(("model", .string(model))) }
        members.append(("claudeOptions", options.json))
        members.append(("claudeConversationStarted", .bool(conversationStarted)))
        members.append(("pendingPermissions", .array(translator.pending.map(\.json))))
        return members
    }
}
