import XCTest
@testable import DispatchGateway

/// Screens as `claude setup-token` 2.1.330 draws them in a pty (reference 3.7): Ink frames with words
/// placed by `ESC[<n>G`, the URL in an OSC-8 link, redraws that erase the previous frame.
final class SetupTokenScreenReaderTests: XCTestCase {
    static let esc = "\u{1B}"
    static let url = "https://claude.ai/oauth/authorize?code=true&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e"
        + "&response_type=code&redirect_uri=https%3A%2F%2Fconsole.anthropic.com%2Foauth%2Fcode%2Fcallback"
        + "&scope=user%3Ainference&code_challenge=q2tE3PaBwombirM8rkF1b6JUlwLOTRlIbc3UZG_Uh_4&code_challenge_method=S256&state=22I78f1E"
    static let token = "sk-ant-oat01-FAKELA5VmHd1VGYPie_dxCxe9a8_ApO6qeNv7qujl5iX97KjAwLsY28sXV_mhs5d3O0C6kCYftTWY_uw48zSAF9XHu9O7K5AA"

    /// Words at the columns Ink would put them, with no spaces between them.
    static func placed(_ text: String, from column: Int = 1) -> String {
        var line = ""
        var at = column
        for word in text.split(separator: " ") {
            line += "\(esc)[\(at)G\(word)"
            at += word.count + 1
        }
        return line
    }

    static let erase = "\(esc)[2K\(esc)[1A\(esc)[2K\(esc)[1A\(esc)[2K\(esc)[G"

    static let welcome = "\(esc)[?25l\(esc)[38;2;215;119;87m" + placed("Welcome to Claude Code v2.1.330") + "\(esc)[39m\r\n\r\n"
        + placed("This will guide you through long-lived (1-year) auth token setup for your Claude account. Claude subscription required.")
        + "\r\n\r\n"

    static let opening = erase + "\(esc)[38;2;215;119;87m·\(esc)[39m " + placed("Opening browser to sign in…", from: 3) + "\r\n"

    static let promptScreen = erase + welcome
        + placed("Browser didn't open? Use the URL below to sign in (c to copy)") + "\r\n\r\n"
        + "\(esc)]8;id=5f2a;\(url)\u{07}\(url)\(esc)]8;;\u{07}\r\n\r\n"
        + "\(esc)[2m" + placed("Hold Shift while selecting to use your terminal's native copy") + "\(esc)[22m\r\n\r\n"
        + placed("Paste code here if prompted") + "\r\n"
        + "╭────────────╮\r\n│ > \(esc)[7m \(esc)[27m        │\r\n╰────────────╯\r\n"

    static let success = erase + welcome + "\(esc)[32m✓\(esc)[39m " + placed("Long-lived authentication token created", from: 3) + "\r\n\r\n"
        + placed("Your OAuth token (valid for 1 year):") + "\r\n\r\n"
        + "\(esc)[1m\(token)\(esc)[22m\r\n\r\n"
        + placed("Store this token securely. You won't be able to see it again.") + "\r\n\r\n"
        + placed("Use this token by setting: export CLAUDE_CODE_OAUTH_TOKEN=<token>") + "\r\n"
        + placed("You can revoke it later at https://claude.ai/settings/claude-code") + "\r\n\(esc)[?25h"

    static let invalidCode = erase + welcome + "\(esc)[31m✘\(esc)[39m "
        + placed("OAuth error: Invalid code. Please make sure the full code was copied", from: 3) + "\r\n\r\n"
        + placed("Press Enter to retry") + "\r\n"

    private func sightings(_ text: String, chunks: [Int] = []) -> [SetupTokenScreenReader.Sighting] {
        var reader = SetupTokenScreenReader()
        let bytes = Array(text.utf8)
        var result: [SetupTokenScreenReader.Sighting] = []
        var start = 0
        for end in chunks + [bytes.count] where end >= start {
            result += reader.feed(bytes[start..<end])
            start = end
        }
        return result + reader.finish()
    }

    func testTheOSC8LinkGivesTheURLAndTheBoxedPromptIsSeen() {
        XCTAssertEqual(sightings(Self.welcome + Self.opening + Self.promptScreen), [.signInURL(Self.url), .codePrompt])
    }

    func testEverySplitPointGivesTheSameSightings() {
        let screens = Self.welcome + Self.opening + Self.promptScreen + Self.success
        let expected: [SetupTokenScreenReader.Sighting] = [.signInURL(Self.url), .codePrompt, .token(Self.token)]
        let count = screens.utf8.count
        for split in 0...count {
            XCTAssertEqual(sightings(screens, chunks: [split]), expected, "split at byte \(split)")
        }
        XCTAssertEqual(sightings(screens, chunks: Array(1..<count)), expected, "one byte at a time")
    }

    func testCursorMovesAreGapsNotGlue() {
        var reader = SetupTokenScreenReader()
        // Glued together it would read "Pastecodehereifprompted" and not be the prompt.
        XCTAssertEqual(reader.feed(Array(Self.placed("Paste code here if prompted").utf8)), [.codePrompt])
        var glued = SetupTokenScreenReader()
        XCTAssertEqual(glued.feed(Array("\(Self.esc)[1mPaste\(Self.esc)[22mcodehere".utf8)), [])
    }

    func testTheLinkTargetWinsOverItsVisibleText() {
        let shortened = "\(Self.esc)]8;;\(Self.url)\(Self.esc)\\https://claude.ai/oauth/authorize?…\(Self.esc)]8;;\(Self.esc)\\\r\n"
        XCTAssertEqual(sightings(shortened), [.signInURL(Self.url)])
    }

    func testAnOlderCLIPrintsAPlainURLAndAnOpenPrompt() {
        let screen = "Browser didn't open? Use the url below to sign in:\r\n\r\n\(Self.url)\r\n\r\nPaste code here if prompted > "
        XCTAssertEqual(sightings(screen), [.signInURL(Self.url), .codePrompt])
        XCTAssertEqual(sightings(screen, chunks: [screen.utf8.count - 20]), [.signInURL(Self.url), .codePrompt])
    }

    func testTheTokenIsTakenWholeAndPlaceholdersAreNot() {
        XCTAssertEqual(sightings(Self.success), [.token(Self.token)])
        XCTAssertEqual(sightings("Use this token by setting: export CLAUDE_CODE_OAUTH_TOKEN=sk-ant-oat01-…\r\n"), [])
        // The last line of a program that ended without a newline still counts.
        XCTAssertEqual(sightings("\(Self.esc)[1m\(Self.token)"), [.token(Self.token)])
    }

    func testOAuthErrorsAreReportedWithTheCLIsWords() {
        XCTAssertEqual(sightings(Self.invalidCode), [.failure("OAuth error: Invalid code. Please make sure the full code was copied")])
        let offline = "✘ OAuth error: Couldn't get an answer from the sign-in service (ENOTFOUND). Check your internet connection, then try again.\r\n"
        XCTAssertEqual(sightings(offline), [.failure("OAuth error: Couldn't get an answer from the sign-in service (ENOTFOUND). Check your internet connection, then try again.")])
    }

    func testRedrawsAreReportedOnce() {
        let redrawn = Self.promptScreen + Self.promptScreen + Self.promptScreen + Self.invalidCode + Self.invalidCode
        XCTAssertEqual(sightings(redrawn), [.signInURL(Self.url), .codePrompt,
                                            .failure("OAuth error: Invalid code. Please make sure the full code was copied")])
    }

    func testOverlongInputIsBoundedAndTheReaderRecovers() {
        var reader = SetupTokenScreenReader()
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        for _ in 0..<16 { XCTAssertEqual(reader.feed(line), []) }
        XCTAssertLessThanOrEqual(reader.bufferedBytes, SetupTokenScreenReader.maxLineBytes)
        // An endless OSC string is dropped, and what follows its terminator is read again.
        XCTAssertEqual(reader.feed(Array("\r\n\(Self.esc)]8;;https://".utf8) + line + [0x07]), [])
        XCTAssertLessThanOrEqual(reader.bufferedBytes, SetupTokenScreenReader.maxLineBytes + SetupTokenScreenReader.maxEscapeBytes)
        XCTAssertEqual(reader.feed(Array(Self.promptScreen.utf8)), [.signInURL(Self.url), .codePrompt])
    }

    func testURLsThatAreNotHTTPSOrTooLongAreIgnored() {
        XCTAssertEqual(sightings("\(Self.esc)]8;;http://claude.ai/oauth\u{07}x\(Self.esc)]8;;\u{07}\r\n"), [])
        let huge = "https://claude.ai/" + String(repeating: "a", count: SetupTokenScreenReader.maxURLBytes)
        XCTAssertEqual(sightings("\(Self.esc)]8;;\(huge)\u{07}\r\n\(huge)\r\n"), [])
        XCTAssertEqual(sightings("\(Self.esc)]0;window title https://example.com\u{07}"), [], "not a hyperlink")
    }
}
