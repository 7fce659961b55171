import DispatchPosix
import DispatchTransport
import DispatchWire
import Glibc

/// One session: its program on a pty (or on pipes, for Claude's stream-json CLI), relayed to the gateway over the runtime socket.
///
/// Output is read only while the gateway has acknowledged enough of what was sent (the window), so
/// a slow consumer blocks the program instead of growing memory. When the program has ended and its
/// output is drained, the worker reports the exit, waits for the acknowledgement, and ends.
///
/// The program does not depend on the gateway's life: when the gateway goes away the worker goes on
/// reading output into the window (then the program blocks), and waits for a gateway to come back and
/// take what it holds, up to the orphan timeout; then it ends the program. Loop-confined.
public final class Worker {
    public struct Settings: Sendable {
        public var hangUpGrace: Duration = .seconds(2)
        /// After the program exits, output still arriving (from jobs it left behind) is read until the pty is quiet this long.
        public var drainQuiet: Duration = .milliseconds(50)
        public init() {}
    }

    private let options: WorkerOptions
    private let secret: [UInt8]
    /// For the program only (credentials handed over on stdin): never in the worker's own environment.
    private let privateEnvironment: [String]
    private let settings: Settings
    private let loop: EventLoop
    private var program: (any SessionProgram)?
    private let gateway: GatewayConnection
    private var retained = RetainedOutput(window: 256 * 1024)
    private var carry: [UInt8] = []
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var outputEnded = false
    private var exitReported = false
    private var drainTimer: EventLoop.Timer?
    /// Set when the worker must end without waiting for a gateway: a signal, a closed lifeline, or the
    /// orphan timeout. The exit is still delivered to a gateway that is connected.
    private var abandoned = false
    public private(set) var exitCode: Int32 = 0

    public init(options: WorkerOptions, secret: [UInt8], privateEnvironment: [String] = [], settings: Settings = .init(), loop: EventLoop) {
        self.options = options
        self.secret = secret
        self.privateEnvironment = privateEnvironment
        self.settings = settings
        self.loop = loop
        gateway = GatewayConnection(
            socketPath: options.socketPath, sessionId: options.sessionId,
            reconnect: ReconnectPolicy.Settings(orphanTimeout: .seconds(options.orphanTimeout)),
            loop: loop)
    }

    /// Starts the program and connects; a program that cannot start is reported to the gateway as fatal.
    public func start(environment: [String]) throws(SystemError) {
        gateway.makeHello = { [unowned self] in
            Hello(sessionId: options.sessionId, secret: secret, programPid: program?.pid ?? 0, lastSeq: retained.lastSeq)
        }
        gateway.onWelcome = { [unowned self] in welcomed($0) }
        gateway.onMessage = { [unowned self] in handle($0) }
        gateway.onReadBatchEnd = { [unowned self] in updateReading() }
        gateway.onLost = { [unowned self] in
            if program == nil { return finish(code: 3) }  // the gateway read our fatal message and hung up
            if abandoned, exitReported { finish(code: 1) }
        }
        gateway.onGiveUp = { [unowned self] in terminate() }
        try gateway.open()

        do {
            let program = try startProgram(try resolveCommand(environment: environment))
            program.onOutputReady = { [unowned self] in readOutput() }
            self.program = program
            gateway.sayHello()
            updateReading()
        } catch {
            gateway.sayHello()
            gateway.sendUnwelcomed(.fatal(message: error.description))
            Log.error("cannot start the session's program", [("session", options.sessionId), ("error", error.description)])
            // Exiting now could race the message: wait for the gateway to hang up, within reason.
            loop.schedule(after: .seconds(5)) { [weak self] in self?.finish(code: 3) }
        }
    }

    /// SIGTERM or SIGHUP from outside, a closed lifeline, or the orphan timeout: end the program the way
    /// a closed terminal would, and the worker without waiting for a gateway that is not there.
    public func terminate() {
        abandoned = true
        guard let program else { return finish(code: 0) }
        if exitReported {
            if !gateway.welcomed { finish(code: 1) }
        } else if program.exit != nil {
            reportExit()
        } else {
            program.hangUp(grace: settings.hangUpGrace)
        }
    }

    // MARK: gateway messages

    /// A gateway (the first, or a new one after a restart) holds everything up to `resumeAfter`.
    private func welcomed(_ welcome: Welcome) {
        guard welcome.resumeAfter <= retained.lastSeq else {
            return gateway.drop("resume after \(welcome.resumeAfter), beyond our last seq \(retained.lastSeq)")
        }
        retained.window = Int(welcome.window)
        retained.acknowledge(through: welcome.resumeAfter)
        for message in retained.messages(after: welcome.resumeAfter) { gateway.send(message) }
        if exitReported, retained.isEmpty { return finish(code: 0) }
        updateReading()
    }

    private func handle(_ message: WireMessage) {
        switch message {
        case .input(let bytes):
            program?.write(bytes)
        case .resize(let cols, let rows):
            guard cols > 0, rows > 0 else { return }
            program?.resize(cols: cols, rows: rows)
        case .ack(let seq):
            retained.acknowledge(through: seq)
            if exitReported, retained.isEmpty { finish(code: 0) }
        case .ping(let nonce):
            gateway.send(.pong(nonce: nonce))
        case .pong:
            break
        case .close(let reason):
            Log.info("gateway closed the session", [("session", options.sessionId), ("reason", reason)])
            terminate()
        case .welcome:
            gateway.drop("a second welcome")
        case .hello, .output, .event, .exit, .fatal:
            gateway.drop("a worker-only message")
        }
    }

    // MARK: output

    /// Reads output while the window allows, with or without a gateway; stops reading (so the program
    /// blocks) when it is full. After the program's exit, `drain` reads on at once rather than waiting for readiness.
    private func updateReading(drain: Bool = true) {
        let open = !outputEnded && retained.hasRoom
        program?.wantsOutput = open
        if drain, open, program?.exit != nil { readOutput() }
    }

    private func readOutput() {
        guard let program, !outputEnded else { return }
        var filled = 0
        var ended = false
        var drained = false
        // Coalesce the pty's 4 KB reads into one frame, stopping when it has nothing more for now.
        while filled < readBuffer.count - carry.count {
            let got: Int?
            do {
                got = try readBuffer.withUnsafeMutableBytes { buffer throws(SystemError) in
                    try program.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(buffer.count - carry.count)]))
                }
            } catch {
                got = 0
            }
            guard let got else { drained = true; break }
            if got == 0 { ended = true; break }
            filled += got
        }
        emit(readBuffer[0..<filled], final: ended)
        if ended {
            outputEnded = true
            program.wantsOutput = false
        }
        // Nothing more to read for now (an exited shell's background job may still hold the terminal):
        // readiness brings the rest. Reading on here would recurse without end.
        updateReading(drain: !drained)
        if program.exit != nil { scheduleDrainCheck() }
    }

    private func emit(_ bytes: ArraySlice<UInt8>, final: Bool) {
        var chunk = carry
        chunk.append(contentsOf: bytes)
        let cut = final ? chunk.count : chunk.withUnsafeBytes { UTF8Boundary.completePrefixLength(of: $0) }
        carry = Array(chunk[cut...])
        guard cut > 0 else { return }
        let output = Array(chunk[..<cut])
        send(retained.append({ .output(seq: $0, bytes: output) }, size: output.count))
    }

    private func send(_ message: WireMessage) {
        gateway.send(message)
    }

    // MARK: ending

    private func programExited() {
        updateReading()
        readOutput()
        scheduleDrainCheck()
    }

    /// The program is gone; once its output is all read (end of file, or quiet for a moment when
    /// jobs it left behind still hold the terminal), report the exit.
    private func scheduleDrainCheck() {
        if let drainTimer { loop.cancel(drainTimer) }
        drainTimer = loop.schedule(after: settings.drainQuiet) { [weak self] in
            guard let self else { return }
            drainTimer = nil
            // A full window waits for a gateway to make room, unless the worker is ending regardless.
            if outputEnded || retained.hasRoom || abandoned { reportExit() }
        }
    }

    private func reportExit() {
        guard !exitReported, let exit = program?.exit else { return }
        emit([], final: true)
        exitReported = true
        let status: ProgramExit = switch exit {
        case .exited(let code): .exited(code: code)
        case .signaled(let signal): .signaled(signal: signal)
        }
        send(retained.append({ .exit(seq: $0, status) }, size: 1))
        Log.info("program ended", [("session", options.sessionId), ("exit", "\(status)")])
        // Otherwise the exit waits in the window for a gateway's acknowledgement.
        if abandoned, !gateway.welcomed { finish(code: 1) }
    }

    private func finish(code: Int32) {
        exitCode = code
        // Let queued frames (the fatal message, the last acks) reach the gateway before the socket closes.
        loop.schedule(after: .milliseconds(gateway.pendingOutboundBytes == 0 ? 0 : 100)) { [weak self] in
            self?.gateway.close()
            self?.loop.stop()
        }
    }

    private func startProgram(_ command: Command) throws(SystemError) -> any SessionProgram {
        switch options.kind {
        case .pty:
            return try Program(command: command, cols: options.cols, rows: options.rows, loop: loop) { [unowned self] in programExited() }
        case .claude:
            let program = try PipeProgram(command: command, loop: loop) { [unowned self] in programExited() }
            program.onDiagnostic = { [unowned self] bytes in
                send(retained.append({ .event(seq: $0, channel: "claude:stderr", payload: bytes) }, size: bytes.count))
                updateReading()
            }
            return program
        }
    }

    private func resolveCommand(environment: [String]) throws(SystemError) -> Command {
        var directoryInfo = stat()
        guard stat(options.directory, &directoryInfo) == 0, directoryInfo.st_mode & S_IFMT == S_IFDIR else {
            throw SystemError("workspace folder \(options.directory)", code: ENOENT)
        }
        var arguments = options.command
        if arguments.isEmpty {
            let shell = environment.first { $0.hasPrefix("SHELL=") }.map { String($0.dropFirst(6)) } ?? ""
            arguments = [shell.isEmpty ? "/bin/bash" : shell, "-l"]
        }
        let programEnvironment = environment.filter { !$0.hasPrefix("TERM=") } + ["TERM=xterm-256color"] + privateEnvironment
        return Command(executable: arguments[0], arguments: Array(arguments.dropFirst()),
                       environment: programEnvironment, directory: options.directory)
    }
}
