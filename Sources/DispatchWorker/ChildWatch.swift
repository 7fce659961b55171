import DispatchPosix
import Glibc

/// Watches the session's program through a pidfd and reaps it once it ends. Loop-confined.
final class ChildWatch {
    private let loop: EventLoop
    private let notifier: FileDescriptor
    private var registration: EventLoop.Registration?
    private(set) var exit: ChildExit?

    init(pid: pid_t, loop: EventLoop, onExit: @escaping () -> Void) throws(SystemError) {
        self.loop = loop
        notifier = try Processes.exitNotifier(for: pid)
        registration = try loop.register(notifier.raw, for: .readable) { [unowned self] _ in
            guard let status = Processes.reap(pid) else { return }
            exit = status
            stop()
            onExit()
        }
    }

    deinit { stop() }

    private func stop() {
        if let registration { loop.deregister(registration, fd: notifier.raw) }
        registration = nil
    }
}

/// What the worker needs of its program, whether it runs on a pty (a shell, the `claude` TUI) or on
/// pipes (Claude's stream-json CLI). Loop-confined.
protocol SessionProgram: AnyObject {
    var pid: pid_t { get }
    var exit: ChildExit? { get }
    /// Called when output can be read, while `wantsOutput` is on.
    var onOutputReady: () -> Void { get set }
    var wantsOutput: Bool { get set }
    /// Reads output; nil means "nothing for now", 0 the end of it.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int?
    func write(_ bytes: [UInt8])
    func resize(cols: UInt16, rows: UInt16)
    /// Ends the program the way its medium does (a closed terminal, a closed stdin), then kills what
    /// is left after `grace`.
    func hangUp(grace: Duration)
}
