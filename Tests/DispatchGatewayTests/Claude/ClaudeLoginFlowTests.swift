import XCTest
@testable import DispatchGateway

final class ClaudeLoginFlowTests: XCTestCase {
    private typealias Screens = SetupTokenScreenReaderTests
    private let start = ContinuousClock.now
    private let timeouts = ClaudeLoginTimeouts(showURL: .seconds(60), enterCode: .seconds(600), finish: .seconds(60))

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func waitingFlow() -> ClaudeLoginFlow {
        var flow = ClaudeLoginFlow(timeouts: timeouts, now: start)
        XCTAssertEqual(flow.output(bytes(Screens.welcome + Screens.opening + Screens.promptScreen), now: start + .seconds(2)), [.announce])
        return flow
    }

    func testTheURLLeadsToWaitingForTheCodeWithItsOwnDeadline() {
        var flow = ClaudeLoginFlow(timeouts: timeouts, now: start)
        XCTAssertEqual(flow.state, .starting)
        XCTAssertEqual(flow.deadline, start + .seconds(60))
        XCTAssertFalse(flow.sendCode(now: start), "no code before the URL is shown")
        XCTAssertEqual(flow.output(bytes(Screens.welcome + Screens.opening), now: start + .seconds(1)), [])
        XCTAssertEqual(flow.output(bytes(Screens.promptScreen), now: start + .seconds(2)), [.announce])
        XCTAssertEqual(flow.state, .waitingForCode(url: Screens.url, codeSent: false))
        XCTAssertEqual(flow.deadline, start + .seconds(602))
    }

    func testACodeIsTypedOnceAndThenTheTokenFinishesTheLogin() {
        var flow = waitingFlow()
        XCTAssertTrue(flow.sendCode(now: start + .seconds(30)))
        XCTAssertFalse(flow.sendCode(now: start + .seconds(31)), "a second code while the first is checked")
        XCTAssertEqual(flow.state, .waitingForCode(url: Screens.url, codeSent: true))
        XCTAssertEqual(flow.deadline, start + .seconds(90))
        XCTAssertEqual(flow.output(bytes(Screens.success), now: start + .seconds(33)), [.saveToken(Screens.token), .stop, .announce])
        XCTAssertEqual(flow.state, .authenticated)
        XCTAssertNil(flow.deadline)
        XCTAssertEqual(flow.ended("exit status 0", now: start + .seconds(34)), [], "the CLI ending after success changes nothing")
        XCTAssertEqual(flow.state, .authenticated)
    }

    func testAnInvalidCodeEndsTheLoginWithTheCLIsMessage() {
        var flow = waitingFlow()
        XCTAssertTrue(flow.sendCode(now: start + .seconds(30)))
        XCTAssertEqual(flow.output(bytes(Screens.invalidCode), now: start + .seconds(31)), [.stop, .announce])
        XCTAssertEqual(flow.state, .failed("OAuth error: Invalid code. Please make sure the full code was copied"))
        XCTAssertFalse(flow.sendCode(now: start + .seconds(32)))
        XCTAssertNil(flow.deadline)
    }

    func testEachStepTimesOutWithItsOwnMessage() {
        var starting = ClaudeLoginFlow(timeouts: timeouts, now: start)
        XCTAssertEqual(starting.tick(now: start + .seconds(59)), [])
        XCTAssertEqual(starting.tick(now: start + .seconds(60)), [.stop, .announce])
        XCTAssertEqual(starting.state, .failed("claude setup-token showed no sign-in URL within 60 s"))

        var waiting = waitingFlow()
        XCTAssertEqual(waiting.tick(now: start + .seconds(601)), [])
        XCTAssertEqual(waiting.tick(now: start + .seconds(602)), [.stop, .announce])
        XCTAssertEqual(waiting.state, .failed("no code was entered within 10 min; start the login again"))

        var checking = waitingFlow()
        XCTAssertTrue(checking.sendCode(now: start + .seconds(100)))
        XCTAssertEqual(checking.deadline, start + .seconds(160), "the code's own deadline replaces the wait for it")
        XCTAssertEqual(checking.tick(now: start + .seconds(159)), [])
        XCTAssertEqual(checking.tick(now: start + .seconds(160)), [.stop, .announce])
        XCTAssertEqual(checking.state, .failed("claude setup-token did not confirm the code within 60 s"))
        XCTAssertEqual(checking.tick(now: start + .seconds(1000)), [], "a finished login does not time out again")
    }

    func testTheCLIEndingEarlyIsAnError() {
        var flow = waitingFlow()
        XCTAssertEqual(flow.ended("exit status 1", now: start + .seconds(5)), [.stop, .announce])
        XCTAssertEqual(flow.state, .failed("claude setup-token ended (exit status 1) before the sign-in finished"))
    }

    func testATokenOnTheUnfinishedLastLineStillCounts() {
        var flow = waitingFlow()
        XCTAssertTrue(flow.sendCode(now: start + .seconds(3)))
        XCTAssertEqual(flow.output(bytes("\(Screens.esc)[1m\(Screens.token)"), now: start + .seconds(4)), [])
        XCTAssertEqual(flow.ended("exit status 0", now: start + .seconds(4)), [.saveToken(Screens.token), .stop, .announce])
        XCTAssertEqual(flow.state, .authenticated)
    }

    func testAPromptWithoutAReadableURLIsAnError() {
        var flow = ClaudeLoginFlow(timeouts: timeouts, now: start)
        XCTAssertEqual(flow.output(bytes(Screens.placed("Paste code here if prompted")), now: start), [.stop, .announce])
        XCTAssertEqual(flow.state, .failed("claude setup-token asks for a code, but its sign-in URL could not be read"))
    }

    func testAnErrorBeforeTheURLAndATokenThatCannotBeStored() {
        var offline = ClaudeLoginFlow(timeouts: timeouts, now: start)
        XCTAssertEqual(offline.output(bytes("✘ OAuth error: Couldn't get an answer from the sign-in service (ENOTFOUND).\r\n"), now: start),
                       [.stop, .announce])
        XCTAssertEqual(offline.state, .failed("OAuth error: Couldn't get an answer from the sign-in service (ENOTFOUND)."))

        var flow = waitingFlow()
        XCTAssertEqual(flow.tokenNotStored("disk full"), [], "nothing to undo before a token")
        XCTAssertTrue(flow.sendCode(now: start))
        _ = flow.output(bytes(Screens.success), now: start)
        XCTAssertEqual(flow.tokenNotStored("write: No space left on device"), [.announce])
        XCTAssertEqual(flow.state, .failed("the new token could not be stored: write: No space left on device"))
        XCTAssertEqual(flow.fail("late"), [], "a finished login keeps its outcome")
    }

    func testTestTimeoutsApplyToEveryStep() {
        let short = ClaudeLoginTimeouts(everyStep: 2)
        XCTAssertEqual(short, ClaudeLoginTimeouts(showURL: .seconds(2), enterCode: .seconds(2), finish: .seconds(2)))
        XCTAssertEqual(short.message(for: .enterCode), "no code was entered within 2 s; start the login again")
        XCTAssertEqual(ClaudeLoginTimeouts(enterCode: .seconds(150)).message(for: .enterCode),
                       "no code was entered within 150 s; start the login again")
    }
}
