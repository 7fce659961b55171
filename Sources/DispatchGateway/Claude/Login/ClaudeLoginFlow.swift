/// One browser login's progress, from what `claude setup-token` shows and what the user does, with
/// a deadline for every step. Pure: the caller feeds output and the clock, and carries out the
/// actions it gets back.
struct ClaudeLoginFlow {
    enum State: Equatable {
        case starting
        /// The sign-in URL is shown; `codeSent` once the user's code was typed.
        case waitingForCode(url: String, codeSent: Bool)
        case authenticated
        case failed(String)
    }

    enum Action: Equatable {
        /// The state changed: tell whoever watches.
        case announce
        case saveToken(String)
        /// End the CLI.
        case stop
    }

    private(set) var state = State.starting
    private var reader = SetupTokenScreenReader()
    private let timeouts: ClaudeLoginTimeouts
    private var step: ClaudeLoginTimeouts.Step? = .showURL
    private var stepStarted: ContinuousClock.Instant

    init(timeouts: ClaudeLoginTimeouts, now: ContinuousClock.Instant) {
        self.timeouts = timeouts
        stepStarted = now
    }

    var isFinished: Bool {
        switch state {
        case .authenticated, .failed: true
        case .starting, .waitingForCode: false
        }
    }

    /// When the current step runs out of time; nil once finished.
    var deadline: ContinuousClock.Instant? {
        step.map { timeouts.deadline(of: $0, enteredAt: stepStarted) }
    }

    mutating func output(_ bytes: [UInt8], now: ContinuousClock.Instant) -> [Action] {
        reader.feed(bytes).flatMap { saw($0, now: now) }
    }

    /// The user's code is about to be typed; false when no login waits for one.
    mutating func sendCode(now: ContinuousClock.Instant) -> Bool {
        guard case .waitingForCode(let url, false) = state else { return false }
        state = .waitingForCode(url: url, codeSent: true)
        enter(.finish, at: now)
        return true
    }

    /// The CLI ended; `how` says how (an exit status, a signal).
    mutating func ended(_ how: String, now: ContinuousClock.Instant) -> [Action] {
        let last = reader.finish().flatMap { saw($0, now: now) }
        guard !isFinished else { return last }
        return last + fail("claude setup-token ended (\(how)) before the sign-in finished")
    }

    /// Something outside the CLI went wrong (its worker, the token file).
    mutating func fail(_ message: String) -> [Action] {
        guard !isFinished else { return [] }
        state = .failed(message)
        step = nil
        return [.stop, .announce]
    }

    /// The token was printed but could not be kept: the login did not work after all.
    mutating func tokenNotStored(_ reason: String) -> [Action] {
        guard state == .authenticated else { return [] }
        state = .failed("the new token could not be stored: \(reason)")
        return [.announce]
    }

    /// Gives the current step up when `now` is past its deadline.
    mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        guard let step, let deadline, now >= deadline else { return [] }
        return fail(timeouts.message(for: step))
    }

    private mutating func saw(_ sighting: SetupTokenScreenReader.Sighting, now: ContinuousClock.Instant) -> [Action] {
        guard !isFinished else { return [] }
        switch sighting {
        case .signInURL(let url):
            guard state == .starting else { return [] }
            state = .waitingForCode(url: url, codeSent: false)
            enter(.enterCode, at: now)
            return [.announce]
        case .codePrompt:
            guard state == .starting else { return [] }
            return fail("claude setup-token asks for a code, but its sign-in URL could not be read")
        case .token(let token):
            state = .authenticated
            step = nil
            return [.saveToken(token), .stop, .announce]
        case .failure(let message):
            return fail(message)
        }
    }

    private mutating func enter(_ next: ClaudeLoginTimeouts.Step, at now: ContinuousClock.Instant) {
        step = next
        stepStarted = now
    }
}
