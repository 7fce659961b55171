/// How long each step of a browser login may take before it is given up, and what the user is told.
/// Pure: the flow asks for the deadline of the step it is in.
public struct ClaudeLoginTimeouts: Sendable, Equatable {
    /// From the start until the CLI shows a sign-in URL.
    public var showURL: Duration
    /// While the user signs in and pastes the code.
    public var enterCode: Duration
    /// From the code until the CLI prints the token or an error.
    public var finish: Duration

    public init(showURL: Duration = .seconds(60), enterCode: Duration = .seconds(600), finish: Duration = .seconds(60)) {
        self.showURL = showURL
        self.enterCode = enterCode
        self.finish = finish
    }

    /// Every step gets `seconds` (DISPATCH_CLAUDE_LOGIN_TIMEOUT_SECONDS, for tests).
    public init(everyStep seconds: Int) {
        self.init(showURL: .seconds(seconds), enterCode: .seconds(seconds), finish: .seconds(seconds))
    }

    enum Step: Equatable {
        case showURL, enterCode, finish
    }

    /// When a step entered at `start` has run out of time.
    func deadline(of step: Step, enteredAt start: ContinuousClock.Instant) -> ContinuousClock.Instant {
        start + limit(of: step)
    }

    func message(for step: Step) -> String {
        let limit = Self.spoken(limit(of: step))
        return switch step {
        case .showURL: "claude setup-token showed no sign-in URL within \(limit)"
        case .enterCode: "no code was entered within \(limit); start the login again"
        case .finish: "claude setup-token did not confirm the code within \(limit)"
        }
    }

    private func limit(of step: Step) -> Duration {
        switch step {
        case .showURL: showURL
        case .enterCode: enterCode
        case .finish: finish
        }
    }

    private static func spoken(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        return seconds >= 120 && seconds % 60 == 0 ? "\(seconds / 60) min" : "\(seconds) s"
    }
}
