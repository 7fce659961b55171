import DispatchPosix
import Glibc

/// The whole life of a `dispatch-worker` process; `main.swift` only calls this.
public enum WorkerMain {
    public static let version = "0.1.0"

    public static func run(arguments: [String]) -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(WorkerOptions.usage)
            return 0
        }
        if arguments.contains("--version") {
            print("dispatch-worker \(version)")
            return 0
        }
        let options: WorkerOptions
        do {
            options = try WorkerOptions.parse(arguments)
        } catch {
            Log.error("dispatch-worker: \(error)", [("usage", WorkerOptions.usage)])
            return 2
        }
        Log.format = options.logFormat
        Log.minimumLevel = options.logLevel
        guard let (secret, privateEnvironment) = readSecret() else {
            Log.error("dispatch-worker: no secret on stdin; workers are started by dispatch-gateway")
            return 2
        }
        do {
            Signals.ignore(SIGPIPE)
            let signals = try Signals.descriptor(for: [SIGTERM, SIGINT, SIGHUP])
            let loop = try EventLoop()
            let worker = Worker(options: options, secret: secret, privateEnvironment: privateEnvironment, loop: loop)
            let registration = try loop.register(signals.raw, for: .readable) { _ in
                while let signal = Signals.next(on: signals) {
                    Log.info("signal received, ending the program", [("signal", "\(signal)")])
                    worker.terminate()
                }
            }
            let lifeline = try options.lifeline.map { fd throws(SystemError) in try watchLifeline(fd, loop: loop, worker: worker) }
            try worker.start(environment: ProcessEnvironment.current())
            loop.run()
            loop.deregister(registration, fd: signals.raw)
            if let lifeline { lifeline.stop() }
            return worker.exitCode
        } catch {
            Log.error("dispatch-worker: \(error)", [("session", options.sessionId)])
            return 1
        }
    }

    /// The lifeline is a pipe whose write end the service manager holds for the gateway across restarts;
    /// end of file on it (the manager let go: the service is being stopped) ends the session.
    private static func watchLifeline(_ fd: Int32, loop: EventLoop, worker: Worker) throws(SystemError) -> LifelineWatch {
        let watch = LifelineWatch(fd: FileDescriptor(adopting: fd), loop: loop)
        try watch.start {
            Log.info("lifeline closed: the service is stopping, ending the program")
            worker.terminate()
        }
        return watch
    }

    /// The secret is hex on stdin's first line; further `NAME=value` lines are environment entries for
    /// the program only (credentials stay out of argv and out of the worker's own environment). Stdin
    /// is then pointed at /dev/null: the program never sees any of it.
    private static func readSecret() -> (secret: [UInt8], privateEnvironment: [String])? {
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while text.count < 64 * 1024 {
            let n = read(0, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            text += buffer[0..<n]
        }
        let devNull = open("/dev/null", O_RDONLY)
        if devNull >= 0 { dup2(devNull, 0); close(devNull) }
        let lines = text.split(separator: UInt8(ascii: "\n"))
        guard let first = lines.first, let secret = Hex.decode(first.filter { $0 > 0x20 }) else { return nil }
        let entries = lines.dropFirst().map { String(decoding: $0, as: UTF8.self) }
        guard entries.allSatisfy({ ($0.firstIndex(of: "=") ?? $0.startIndex) > $0.startIndex }) else { return nil }
        return (secret, entries)
    }
}

/// Watches the lifeline fd until it reports end of file (or hang-up), then stops watching: a hung-up
/// pipe stays readable, and level-triggered epoll would report it on every turn.
final class LifelineWatch {
    private let fd: FileDescriptor
    private let loop: EventLoop
    private var registration: EventLoop.Registration?

    init(fd: FileDescriptor, loop: EventLoop) {
        self.fd = fd
        self.loop = loop
    }

    func start(onClosed: @escaping () -> Void) throws(SystemError) {
        try fd.setNonBlocking()
        registration = try loop.register(fd.raw, for: .readable) { [unowned self] _ in
            var buffer = [UInt8](repeating: 0, count: 64)
            let got: Int?
            do {
                got = try buffer.withUnsafeMutableBytes { bytes throws(SystemError) in try fd.read(into: bytes) }
            } catch {
                got = 0
            }
            guard got == 0 else { return }  // nothing, or stray bytes (read and ignored)
            stop()
            onClosed()
        }
    }

    func stop() {
        if let registration { loop.deregister(registration, fd: fd.raw) }
        registration = nil
    }
}
