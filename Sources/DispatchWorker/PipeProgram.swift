import DispatchPosix
import Glibc

/// The session's program on pipes (Claude's stream-json CLI): the gateway's input goes to its stdin
/// verbatim, its stdout is the session's output, and its stderr is handed up as diagnostics. It leads
/// its own session, so ending it reaches whatever it started. Loop-confined.
final class PipeProgram: SessionProgram {
    let pid: pid_t
    private let loop: EventLoop
    private let input: WatchedDescriptor
    private let output: WatchedDescriptor
    private let diagnostics: WatchedDescriptor
    private var childWatch: ChildWatch?
    private var pendingInput: [UInt8] = []
    private var endTimers: [EventLoop.Timer] = []
    private var diagnosticBuffer = [UInt8](repeating: 0, count: 16 * 1024)

    var exit: ChildExit? { childWatch?.exit }
    var onOutputReady: () -> Void = {}
    /// stderr bytes as they come, read only while output is wanted (the same window holds both back).
    var onDiagnostic: ([UInt8]) -> Void = { _ in }
    var wantsOutput = false {
        didSet { updateReading() }
    }

    init(command: Command, loop: EventLoop, onExit: @escaping () -> Void) throws(SystemError) {
        self.loop = loop
        let stdin = try FileDescriptor.pipe()
        let stdout = try FileDescriptor.pipe()
        let stderr = try FileDescriptor.pipe()
        pid = try Spawn.process(command, stdin: stdin.read.raw, stdout: stdout.write.raw, stderr: stderr.write.raw, newSession: true)
        // Only the child keeps its ends: our stdout reader sees end of file once the program (and
        // anything it started) has let go.
        for end in [stdin.read, stdout.write, stderr.write] { end.close() }
        for end in [stdin.write, stdout.read, stderr.read] { try end.setNonBlocking() }
        input = WatchedDescriptor(stdin.write, loop: loop)
        output = WatchedDescriptor(stdout.read, loop: loop)
        diagnostics = WatchedDescriptor(stderr.read, loop: loop)
        input.handler = { [unowned self] _ in flushInput() }
        output.handler = { [unowned self] _ in if wantsOutput { onOutputReady() } }
        diagnostics.handler = { [unowned self] _ in _ = readDiagnostics() }
        childWatch = try ChildWatch(pid: pid, loop: loop) { [unowned self] in
            cancelEnding()
            onExit()
        }
    }

    deinit { cancelEnding() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        let got = try output.descriptor.read(into: buffer)
        // The end of the output stops reading altogether: what stderr still holds (often the CLI's last
        // error line) goes up first, or it would be lost.
        if got == 0 { while diagnostics.descriptor.isOpen, readDiagnostics() {} }
        return got
    }

    func write(_ bytes: [UInt8]) {
        guard exit == nil, input.descriptor.isOpen else { return }
        if pendingInput.count + bytes.count > Program.maxPendingInput {
            Log.warn("input dropped: the program is not reading", [("bytes", "\(bytes.count)")])
            return
        }
        pendingInput += bytes
        flushInput()
    }

    /// A pipe has no size.
    func resize(cols: UInt16, rows: UInt16) {}

    /// Closes stdin (the CLI ends after its turn), then SIGTERM to its group after `grace`, SIGKILL after another.
    func hangUp(grace: Duration) {
        guard exit == nil, endTimers.isEmpty else { return }
        closeInput()
        let group = pid
        endTimers.append(loop.schedule(after: grace) { Processes.signalGroup(group, SIGTERM) })
        endTimers.append(loop.schedule(after: grace * 2) { Processes.signalGroup(group, SIGKILL) })
    }

    private func flushInput() {
        while !pendingInput.isEmpty {
            guard let written = try? pendingInput.withUnsafeBytes({ bytes throws(SystemError) in try input.descriptor.write(bytes) }) else {
                closeInput()  // the program closed its stdin; nobody will read it
                return
            }
            if written == 0 { break }
            pendingInput.removeFirst(written)
        }
        input.want(pendingInput.isEmpty ? [] : .writable)
    }

    private func closeInput() {
        pendingInput.removeAll()
        input.want([])
        input.descriptor.close()
    }

    private func updateReading() {
        output.want(wantsOutput && output.descriptor.isOpen ? .readable : [])
        diagnostics.want(wantsOutput && diagnostics.descriptor.isOpen ? .readable : [])
    }

    /// Reads what stderr has now; true when it got bytes (false: nothing for now, or its end).
    private func readDiagnostics() -> Bool {
        let got: Int?
        do {
            got = try diagnosticBuffer.withUnsafeMutableBytes { buffer throws(SystemError) in try diagnostics.descriptor.read(into: buffer) }
        } catch {
            got = 0
        }
        guard let got else { return false }
        guard got > 0 else {  // end of file (or an error): stderr is done
            diagnostics.want([])
            diagnostics.descriptor.close()
            return false
        }
        onDiagnostic(Array(diagnosticBuffer[0..<got]))
        return true
    }

    private func cancelEnding() {
        for timer in endTimers { loop.cancel(timer) }
        endTimers = []
    }
}
