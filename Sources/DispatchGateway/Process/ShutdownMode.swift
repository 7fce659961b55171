import Glibc

/// How the gateway ends, by signal. SIGTERM and SIGINT stop everything (a container's life is the
/// gateway's); SIGUSR2 is a restart that keeps sessions: workers go on and wait for the next gateway.
/// Under a service manager that holds the lifeline, SIGTERM keeps sessions too: the manager ends them
/// by closing the lifeline when the service is stopped rather than restarted.
public enum ShutdownMode: Equatable, Sendable {
    case stopSessions
    case keepSessions

    public static let signals: [Int32] = [SIGTERM, SIGINT, SIGUSR2]

    /// nil: not a signal that ends the gateway.
    public static func of(signal: Int32, keepSessionsOnTerm: Bool) -> ShutdownMode? {
        switch signal {
        case SIGUSR2: .keepSessions
        case SIGTERM: keepSessionsOnTerm ? .keepSessions : .stopSessions
        case SIGINT: .stopSessions
        default: nil
        }
    }
}
