import CDispatchSys
import Glibc
import Synchronization

public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: DSYS_EV_IN)
    public static let writable = IOEvents(rawValue: DSYS_EV_OUT)
    public static let error = IOEvents(rawValue: DSYS_EV_ERR)
    public static let hangup = IOEvents(rawValue: DSYS_EV_HUP)
}

/// One thread, one level-triggered epoll set, timers and a wake-up for work sent from other threads.
///
/// Everything registered with the loop (handlers, timers, and the objects they capture) is touched only
/// on the loop's thread; `execute` is the one entry point that other threads may call. That confinement
/// is why the class is `@unchecked Sendable`.
public final class EventLoop: @unchecked Sendable {
    public struct Registration: Hashable, Sendable { fileprivate let token: UInt64 }
    public struct Timer: Hashable, Sendable { fileprivate let id: UInt64 }

    private let epoll: FileDescriptor
    private let wakeup: FileDescriptor
    private var handlers: [UInt64: (IOEvents) -> Void] = [:]
    private var lastToken: UInt64 = 0
    private var timers = TimerQueue<() -> Void>()
    private let inbox = Mutex<[@Sendable () -> Void]>([])
    private var running = false

    public init() throws(SystemError) {
        epoll = FileDescriptor(adopting: try check("epoll_create1") { dsys_epoll_create() })
        wakeup = FileDescriptor(adopting: try check("eventfd") { dsys_eventfd() })
        try check("epoll_ctl") { dsys_epoll_ctl(epoll.raw, 0, wakeup.raw, DSYS_EV_IN, 0) }
    }

    // MARK: file descriptors

    /// Watches `fd` until `deregister`. The caller keeps owning the fd and deregisters before closing it.
    public func register(_ fd: Int32, for interest: IOEvents, handler: @escaping (IOEvents) -> Void) throws(SystemError) -> Registration {
        lastToken += 1
        let token = lastToken
        try check("epoll_ctl add") { dsys_epoll_ctl(epoll.raw, 0, fd, interest.rawValue, token) }
        handlers[token] = handler
        return Registration(token: token)
    }

    /// Changes what `fd` is watched for. An empty interest still reports hang-ups and errors.
    public func update(_ registration: Registration, fd: Int32, interest: IOEvents) {
        _ = dsys_epoll_ctl(epoll.raw, 1, fd, interest.rawValue, registration.token)
    }

    public func deregister(_ registration: Registration, fd: Int32) {
        _ = dsys_epoll_ctl(epoll.raw, 2, fd, 0, 0)
        handlers[registration.token] = nil
    }

    // MARK: timers

    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping () -> Void) -> Timer {
        schedule(at: .now + delay, action)
    }

    @discardableResult
    public func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> Timer {
        Timer(id: timers.insert(at: deadline, action))
    }

    public func cancel(_ timer: Timer) {
        timers.remove(id: timer.id)
    }

    // MARK: running

    /// Runs `work` on the loop thread soon. Safe from any thread.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        inbox.withLock { $0.append(work) }
        var one: UInt64 = 1
        _ = Glibc.write(wakeup.raw, &one, 8)
    }

    /// Serves events until `stop()` is called on the loop thread.
    public func run() {
        running = true
        var events = [dsys_event](repeating: dsys_event(), count: 64)
        while running {
            let count = dsys_epoll_wait(epoll.raw, &events, Int32(events.count), timeoutMilliseconds())
            if count < 0 && errno != EINTR { fatalError("epoll_wait: \(SystemError("epoll_wait"))") }
            for event in events.prefix(max(0, Int(count))) {
                if event.token == 0 {
                    drainInbox()
                } else if let handler = handlers[event.token] {
                    handler(IOEvents(rawValue: event.events))
                }
            }
            for action in timers.popDue(now: .now) { action() }
        }
    }

    public func stop() {
        running = false
    }

    private func drainInbox() {
        var counter: UInt64 = 0
        _ = Glibc.read(wakeup.raw, &counter, 8)
        let work = inbox.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        for item in work { item() }
    }

    private func timeoutMilliseconds() -> Int32 {
        guard let deadline = timers.nextDeadline else { return -1 }
        let remaining = ContinuousClock.now.duration(to: deadline)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: millis)
    }
}
