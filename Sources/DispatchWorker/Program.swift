import DispatchPosix
import Glibc

/// The session's program on its pty: started, fed, resized, hung up, and its exit watched.
/// Loop-confined; the worker decides when output may be read, the program only knows how.
final class Program: SessionProgram {
    let pid: pid_t
    private let watchedMaster: WatchedDescriptor
    var master: FileDescriptor { watchedMaster.descriptor }
    private let loop: EventLoop
    private var childWatch: ChildWatch?
    private var killTimer: EventLoop.Timer?
    private var pendingInput: [UInt8] = []
    var exit: ChildExit? { childWatch?.exit }

    /// Called when output can be read, while `wantsOutput` is on.
    var onOutputReady: () -> Void = {}
    var wantsOutput = false {
        didSet { updateInterest() }
    }

    /// Input beyond this, while the program is not reading, is dropped rather than held without bound.
    static let maxPendingInput = 1 << 20

    init(command: Command, cols: UInt16, rows: UInt16, loop: EventLoop, onExit: @escaping () -> Void) throws(SystemError) {
        let child = try Spawn.onPty(command, cols: cols, rows: rows)
        pid = child.pid
        watchedMaster = WatchedDescriptor(child.master, loop: loop)
        self.loop = loop
        watchedMaster.handler = { [unowned self] events in
            let hungUp = !events.isDisjoint(with: [.hangup, .error])
            if events.contains(.writable) || (hungUp && !wantsOutput) { flushInput() }
            if wantsOutput, !events.isDisjoint(with: [.readable, .hangup, .error]) { onOutputReady() }
        }
        childWatch = try ChildWatch(pid: child.pid, loop: loop) { [unowned self] in
            cancelKill()
            onExit()
        }
    }

    deinit { cancelKill() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        try master.read(into: buffer)
    }

    func write(_ bytes: [UInt8]) {
        guard exit == nil else { return }
        if pendingInput.count + bytes.count > Self.maxPendingInput {
            Log.warn("input dropped: the program is not reading", [("bytes", "\(bytes.count)")])
            return
        }
        pendingInput += bytes
        flushInput()
    }

    func resize(cols: UInt16, rows: UInt16) {
        try? Terminal.resize(master, cols: cols, rows: rows)
    }

    /// Hangs up like a closed terminal (SIGHUP to the session and its foreground job), then kills
    /// what is left after `grace`.
    func hangUp(grace: Duration) {
        guard exit == nil, killTimer == nil else { return }
        let groups = [pid] + (Terminal.foregroundGroup(of: master).map { [$0] } ?? [])
        for group in groups {
            Processes.signalGroup(group, SIGHUP)
            Processes.signalGroup(group, SIGCONT)
        }
        killTimer = loop.schedule(after: grace) { [weak self] in
            for group in groups { Processes.signalGroup(group, SIGKILL) }
            self?.killTimer = nil
        }
    }

    private func flushInput() {
        while !pendingInput.isEmpty {
            guard let written = try? pendingInput.withUnsafeBytes({ bytes throws(SystemError) in try master.write(bytes) }) else {
                pendingInput.removeAll()  // the terminal is gone; nobody will read it
                break
            }
            if written == 0 { break }
            pendingInput.removeFirst(written)
        }
        updateInterest()
    }

    /// One registration for both directions (a hung-up master with nothing wanted leaves epoll).
    private func updateInterest() {
        var wanted: IOEvents = []
        if wantsOutput { wanted.insert(.readable) }
        if !pendingInput.isEmpty { wanted.insert(.writable) }
        watchedMaster.want(wanted)
    }

    private func cancelKill() {
        if let killTimer { loop.cancel(killTimer) }
        killTimer = nil
    }
}
