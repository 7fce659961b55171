"""A fake `claude setup-token` that draws the screens of the real CLI 2.1.330 (see
shared/reference/claude-code-cli.md 3.7) the way its Ink TUI does: words placed with `ESC[<n>G`
cursor moves, the sign-in URL in an OSC-8 hyperlink, redraws that erase the previous frame.

Usage: `main(argv)` with argv = ["setup-token", ...] (the fake `claude` calls it).

- stdin must be a terminal, else it says so on stderr and exits 1 (the real CLI hangs).
- The URL is an older-style PKCE URL whose `state` parameter is random per run. The code is accepted
  when it is `<anything non-empty>#<state>` (what the callback page shows); anything else gets
  `OAuth error: Invalid code. Please make sure the full code was copied` and `Press Enter to retry`.
- On success it prints the success block with a fake `sk-ant-oat01-FAKE…` token and exits 0.
- FAKE_SETUP_TOKEN_HANG=1: nothing after the welcome text; it waits until killed.
- FAKE_SETUP_TOKEN_PLAIN_URL=1: an older CLI: the URL as plain text, no OSC-8.
- FAKE_SETUP_TOKEN_RECORD=<file>: the printed token is also written there (for tests to compare).
"""

from __future__ import annotations

import os
import secrets
import sys
import time

ESC = "\x1b"
BEL = "\x07"
HIDE_CURSOR = f"{ESC}[?25l"
SHOW_CURSOR = f"{ESC}[?25h"
BOLD, DIM, RESET = f"{ESC}[1m", f"{ESC}[2m", f"{ESC}[22m{ESC}[39m"
ORANGE = f"{ESC}[38;2;215;119;87m"


def out(text: str) -> None:
    """Writes in small pieces, as a TUI flushing its frames does, so readers see split sequences."""
    data = text.encode()
    step = 7
    for start in range(0, len(data), step):
        os.write(1, data[start:start + step])


def placed(text: str, indent: int = 1) -> str:
    """A line whose words are positioned with `ESC[<n>G` instead of separated by spaces."""
    line, column = "", indent
    for word in text.split(" "):
        line += f"{ESC}[{column}G{word}"
        column += len(word) + 1
    return line


class Frame:
    """Ink's log-update: each render erases the previous frame's lines and draws the new one."""

    def __init__(self):
        self.lines = 0

    def render(self, lines: list[str]) -> None:
        erase = "".join(f"{ESC}[2K{ESC}[1A" for _ in range(self.lines)) + f"{ESC}[2K{ESC}[G" if self.lines else ""
        out(erase + "\n".join(lines) + "\n")
        self.lines = len(lines)


def sign_in_url(state: str) -> str:
    challenge = secrets.token_urlsafe(32)
    return ("https://claude.ai/oauth/authorize?code=true&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e"
            "&response_type=code&redirect_uri=https%3A%2F%2Fconsole.anthropic.com%2Foauth%2Fcode%2Fcallback"
            f"&scope=user%3Ainference&code_challenge={challenge}&code_challenge_method=S256&state={state}")


def link(url: str) -> str:
    if os.environ.get("FAKE_SETUP_TOKEN_PLAIN_URL") == "1":
        return url
    return f"{ESC}]8;id={secrets.token_hex(4)};{url}{BEL}{url}{ESC}]8;;{BEL}"


def welcome() -> list[str]:
    return [
        f"{ORANGE}{placed('Welcome to Claude Code v2.1.330')}{RESET}",
        "",
        placed("This will guide you through long-lived (1-year) auth token setup for your Claude account. "
               "Claude subscription required."),
        "",
    ]


def prompt_screen(url: str) -> list[str]:
    return welcome() + [
        placed("Browser didn't open? Use the URL below to sign in (c to copy)"),
        "",
        link(url),
        "",
        f"{DIM}{placed('Hold Shift while selecting to use your terminal' + chr(39) + 's native copy')}{RESET}",
        "",
        placed("Paste code here if prompted"),
        "╭" + "─" * 60 + "╮",
        "│ > " + " " * 57 + "│",
        "╰" + "─" * 60 + "╯",
    ]


def read_line() -> str:
    line = sys.stdin.readline()
    if not line:
        sys.exit(1)
    return line.rstrip("\r\n")


def succeed(frame: Frame) -> int:
    token = "sk-ant-oat01-FAKE" + secrets.token_urlsafe(70).replace("-", "x")[:91] + "AA"
    record = os.environ.get("FAKE_SETUP_TOKEN_RECORD")
    if record:
        with open(record, "w") as f:
            f.write(token)
    frame.render(welcome() + [f"{ESC}[32m✓{RESET} {placed('Long-lived authentication token created', 3)}",
                              "",
                              placed("Your OAuth token (valid for 1 year):"),
                              "",
                              f"{BOLD}{token}{RESET}",
                              "",
                              placed("Store this token securely. You won't be able to see it again."),
                              "",
                              placed("Use this token by setting: export CLAUDE_CODE_OAUTH_TOKEN=<token>"),
                              placed("You can revoke it later at https://claude.ai/settings/claude-code")])
    out(SHOW_CURSOR)
    return 0


def main(argv: list[str]) -> int:
    if not os.isatty(0):
        print("Error: setup-token needs an interactive terminal (stdin is not a TTY)", file=sys.stderr)
        return 1
    out(HIDE_CURSOR)
    frame = Frame()
    frame.render(welcome())
    if os.environ.get("FAKE_SETUP_TOKEN_HANG") == "1":
        while True:
            time.sleep(3600)
    for spinner in "·✢✳":
        frame.render(welcome() + [f"{ORANGE}{spinner}{RESET} {placed('Opening browser to sign in…', 3)}"])
        time.sleep(0.05)
    state = secrets.token_urlsafe(24)
    url = sign_in_url(state)
    while True:
        frame.render(prompt_screen(url))
        code = read_line()
        frame.render(welcome() + [f"{ORANGE}·{RESET} {placed('Finishing sign-in…', 3)}"])
        time.sleep(0.05)
        head, hash_, tail = code.partition("#")
        if head and hash_ and tail == state:
            return succeed(frame)
        frame.render(welcome() + [f"{ESC}[31m✘{RESET} {placed('OAuth error: Invalid code. Please make sure the full code was copied', 3)}",
                                  "",
                                  placed("Press Enter to retry")])
        read_line()
        frame.lines = 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
