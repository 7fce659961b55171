/// The command line of a Claude session's CLI: stream-json both ways, partial messages, and the
/// conversation to start or continue. Values that could read as flags are attached with `=`.
public struct ClaudeCommandLine: Equatable, Sendable {
    public enum Conversation: Equatable, Sendable {
        /// A new conversation under this id (the CLI refuses an id already in use).
        case start(id: String)
        /// Continue the conversation with this id (its transcript must exist).
        case resume(id: String)
    }

    public var executable: String
    public var options: ClaudeOptions
    public var conversation: Conversation

    public init(executable: String, options: ClaudeOptions, conversation: Conversation) {
        self.executable = executable
        self.options = options
        self.conversation = conversation
    }

    public var arguments: [String] {
        var arguments = [executable, "-p", "--input-format", "stream-json", "--output-format", "stream-json",
                         "--verbose", "--include-partial-messages"]
        switch conversation {
        case .start(let id): arguments += ["--session-id", id]
        case .resume(let id): arguments.append("--resume=" + id)
        }
        arguments.append("--permission-mode=" + options.permissionMode)
        if options.asksBeforeTools { arguments += ["--permission-prompt-tool", "stdio"] }
        if let model = options.model { arguments.append("--model=" + model) }
        if !options.allowedTools.isEmpty { arguments.append("--allowedTools=" + options.allowedTools.joined(separator: ",")) }
        if !options.disallowedTools.isEmpty { arguments.append("--disallowedTools=" + options.disallowedTools.joined(separator: ",")) }
        if let prompt = options.appendSystemPrompt { arguments.append("--append-system-prompt=" + prompt) }
        if let turns = options.maxTurns { arguments.append("--max-turns=\(turns)") }
        return arguments
    }
}
