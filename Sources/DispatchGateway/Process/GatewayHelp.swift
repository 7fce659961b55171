/// `dispatch-gateway --help`: every variable with its default, the same table as the README's.
enum GatewayHelp {
    static let text = """
        usage: dispatch-gateway [--help] [--version] [--health-check]
        Serves terminals and Claude Code sessions in the browser; each session runs in its own dispatch-worker.
          --health-check   ask the running gateway's /health (same environment); exit 0 when healthy, else 1

        Environment (a bad value stops the start with one line naming the variable):
          PORT                      3030                           HTTP port (0: any free port)
          HOST                      127.0.0.1                      address to listen on (0.0.0.0 in the Docker image)
          TERMINAL_KEY_FILE         unset                          file holding the access key
          TERMINAL_KEY              unset                          the access key (16+ characters), removed from the environment
                                                                   (neither set: generated once into $DISPATCH_HOME/terminal-key)
          DISPATCH_HOME             ~/.dispatch                    state: key, database, run/ (worker socket), workspaces
          WORKSPACES_ROOT           $DISPATCH_HOME/workspaces      where workspace folders live (its parent must exist)
          DATABASE_PATH             $DISPATCH_HOME/dispatch.db     the SQLite event store
          MAX_SESSIONS              200                            sessions starting or running at once (1-10000)
          RETENTION_DAYS            30                             events older than this are pruned
          RETENTION_MB_PER_SESSION  64                             history kept per session
          RETENTION_PRUNE_SECONDS   600                            how often pruning runs
          ALLOWED_ORIGINS           derived from Host              comma-separated exact origins for WebSockets and changes
          ALLOWED_HOSTS             loopback names when on loopback  comma-separated names accepted in Host
          COOKIE_SECURE             false                          mark the session cookie Secure (behind TLS)
          LOG_LEVEL                 info                           debug, info, warn or error (lines on stderr)
          LOG_FORMAT                json                           json (an object a line) or text (time level message key=value)
          ENABLE_TUNNEL             false                          run a tunnel client for a public URL (GET /public-url)
          LT_SUBDOMAIN              unset                          ask LocalTunnel (lt) for https://<name>.loca.lt
          TUNNEL_COMMAND            unset                          run this via /bin/sh -c instead of lt (PORT is set for it)
          TUNNEL_URL_MATCH          unset                          take only a printed URL containing this text
          CLAUDE_BIN                claude                         the Claude Code CLI, a name on PATH or a path
          CLAUDE_CONFIG_DIR         unset (~/.claude)              Claude's config and transcripts, handed to Claude processes
          PTY_MODE                  shell                          claude: new terminals run the claude TUI (a shell without it)
          ANTHROPIC_API_KEY         unset                          passed to Claude processes only, never to shells
          CLAUDE_CODE_OAUTH_TOKEN   unset                          the same (a token from the page's sign-in wins over both)
          DISPATCH_ORPHAN_TIMEOUT   3600                           seconds a worker keeps its session while no gateway runs
          DISPATCH_WORKER_BIN       dispatch-worker next to the gateway
          DISPATCH_STATIC_DIR       ../share/dispatch/static next to the gateway, else ./static
        Signals: SIGTERM/SIGINT stop every session; SIGUSR2 exits keeping sessions for the next gateway.
        Under systemd (Type=notify) it reports READY=1, STATUS= and WATCHDOG=1 to $NOTIFY_SOCKET, and SIGTERM
        keeps sessions: systemd's fd store (the lifeline) tells a restart from a stop.
        """
}
