import DispatchGateway
import DispatchPosix
import Glibc

/// Terminal output throughput: program -> pty -> worker -> socket -> supervisor `onEvent`, against
/// the ceiling of a bare pty read by one tight blocking loop on the same machine.
enum Throughput {
    struct Producer {
        let name: String
        let script: String
    }

    /// One run: bytes seen, the time from spawning to the last byte, and the CPU it took.
    struct Run {
        let bytes: Int
        let seconds: Double
        /// CPU seconds of this process and of the processes it reaped (the producers; for the relay
        /// also the worker). Less noisy than wall time on a shared machine; the kernel's pty workers
        /// (kworker) are in neither.
        var cpu = 0.0
        /// This process alone: the reader, or the supervisor (the gateway side of the relay).
        var ownCPU = 0.0
        /// Output events (one per worker frame) for the relay; reads for a raw pty.
        var chunks = 0
        var megabytesPerSecond: Double { Double(bytes) / seconds / 1e6 }
    }

    static func producers(megabytes: Int) -> [Producer] {
        let source = "head -c \(megabytes * 1_000_000) /dev/zero | base64 -w 100"
        // base64 line-buffers on a terminal: one write() per 101-byte line. cat writes what it
        // reads from the pipe: large blocks.
        return [Producer(name: "line", script: source), Producer(name: "block", script: source + " | cat")]
    }

    /// Returns false if a run failed or relay and ceiling disagreed on the byte count.
    static func run(megabytes: Int, runs: Int) throws(BenchError) -> Bool {
        say("== throughput: \(megabytes) MB of zeros through base64 -w 100 (output counted, 1 MB = 10^6 bytes), \(runs) runs;"
            + " the ceiling is the blocking reader; aim relay/ceiling >= 95%")
        let rig = try Rig()
        defer { rig.shutdown() }
        let producers = producers(megabytes: megabytes)
        // Per producer: the ceiling (blocking reader), the epoll reader, the relay; one run each per round.
        let labels = ["pty, blocking read", "pty, epoll read", "relay to onEvent"]
        var results = [[[Run]]](repeating: [[], [], []], count: producers.count)
        func describe(_ run: Run) -> String {
            "\(pad(fixed(run.megabytesPerSecond), 6)) MB/s (\(run.bytes) B in \(fixed(run.seconds, 3)) s),"
                + " CPU \(fixed(run.cpu, 2)) s (this process \(fixed(run.ownCPU, 2)) s), \(run.chunks) \(run.bytes / max(run.chunks, 1)) B chunks"
        }
        // Interleaved, so that a noisy neighbour hurts both sides of a ratio alike.
        for round in 1...runs {
            for (index, producer) in producers.enumerated() {
                for kind in 0..<3 {
                    let result = kind == 2 ? try relayed(producer, rig: rig)
                        : try rawPty(producer, reader: kind == 0 ? .blocking : .epoll, rig: rig)
                    results[index][kind].append(result)
                    say("  run \(round) \(pad(producer.name, 5)): \(labels[kind] + String(repeating: " ", count: 18 - labels[kind].count)) \(describe(result))")
                }
            }
        }
        var ok = true
        for (index, producer) in producers.enumerated() {
            let rates = results[index].map { $0.map(\.megabytesPerSecond).sorted() }
            let best = rates.map { $0.last ?? 0 }
            let median = rates.map { percentile($0, 0.5) }
            // The median too: on a shared machine one lucky run moves a best-of-3 ratio by 10 %.
            for (name, values) in [("best  ", best), ("median", median)] {
                say("  \(pad(producer.name, 5)) \(name): pty ceiling \(pad(fixed(values[0]), 5)), relay \(pad(fixed(values[2]), 5)) MB/s,"
                    + " relay/ceiling \(pad(fixed(values[2] / values[0] * 100), 5))%; epoll reader \(pad(fixed(values[1]), 5)) MB/s")
            }
            let cpu = results[index].map { percentile($0.map(\.cpu).sorted(), 0.5) }
            let gateway = percentile(results[index][2].map(\.ownCPU).sorted(), 0.5)
            let megabytes = Double(results[index][0][0].bytes) / 1e6
            say("  \(pad(producer.name, 5)) CPU   : median \(fixed(cpu[0], 2)) s with the ceiling reader, \(fixed(cpu[2], 2)) s relayed"
                + " (\(signed((cpu[2] - cpu[0]) / megabytes * 1000)) ms per MB; the supervisor \(fixed(gateway / megabytes * 1000, 2)) ms per MB)")
            let counts = results[index].flatMap { $0.map(\.bytes) }
            if Set(counts).count != 1 {
                say("  ERROR \(producer.name): byte counts differ between runs: \(counts)")
                ok = false
            }
        }
        return ok
    }

    /// The producer as a session: timed from `create` to the output event that carried the last byte.
    static func relayed(_ producer: Producer, rig: Rig) throws(BenchError) -> Run {
        var bytes = 0
        var last = ContinuousClock.now
        var ended = false
        var failure: String?
        var chunks = 0
        let cpuBefore = CPUTime.now()
        let start = ContinuousClock.now
        let session = try rig.create(["/bin/sh", "-c", producer.script])
        rig.onEvent = { id, event in
            guard id == session.id else { return }
            switch event.body {
            case .output(let text):
                bytes += text.utf8.count
                chunks += 1
                last = .now
            case .status(let change) where change.kind == .stopped || change.kind == .error || change.kind == .crashed:
                if change.kind != .stopped { failure = "\(change.kind): \(change.detail ?? "")" }
                ended = true
            default:
                break
            }
        }
        let finished = rig.serve(timeout: .seconds(300)) { ended }
        rig.onEvent = { _, _ in }
        guard finished else { throw BenchError("relay \(producer.name) did not finish in 300 s") }
        if let failure { throw BenchError("relay \(producer.name) failed: \(failure)") }
        // The worker's CPU counts once it is reaped, a moment after the session stopped.
        rig.serve(timeout: .seconds(10)) { rig.supervisor.info(session.id)?.workerPid == nil }
        let cpu = CPUTime.now() - cpuBefore
        return Run(bytes: bytes, seconds: (last - start).seconds, cpu: cpu.total, ownCPU: cpu.own, chunks: chunks)
    }

    /// How the bare pty is read. The ceiling is the plain blocking loop; the epoll reader drains until
    /// EAGAIN on the project's own loop, as the worker does, and shows what that way of reading costs
    /// before any relaying. (The ceiling is not the better of the two per round: a maximum over twice
    /// as many samples as the relay has would bias the ratio against the relay.)
    enum Reader: String {
        case blocking, epoll
    }

    /// The same producer on a bare pty, read until EOF (EIO once the slave is closed) by a reader that
    /// does nothing else: what this kernel's pty gives, timed from spawning to the last byte.
    static func rawPty(_ producer: Producer, reader: Reader, rig: Rig) throws(BenchError) -> Run {
        let command = Command(executable: "/bin/sh", arguments: ["-c", producer.script],
                              environment: rig.environment + ["TERM=xterm-256color"], directory: rig.folder)
        let cpuBefore = CPUTime.now()
        let start = ContinuousClock.now
        let child: PtyChild
        do { child = try Spawn.onPty(command, cols: 80, rows: 24) } catch { throw BenchError("raw pty \(producer.name): \(error)") }
        let result = Result { () throws(BenchError) in try drain(child.master, reader: reader, rig: rig) }
        // A reader that gave up leaves the producer blocked on a full pty; end it before waiting.
        if case .failure = result { Processes.signalGroup(child.pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
        let cpu = CPUTime.now() - cpuBefore
        let (bytes, reads, last) = try result.get()
        return Run(bytes: bytes, seconds: (last - start).seconds, cpu: cpu.total, ownCPU: cpu.own, chunks: reads)
    }

    /// Reads `master` until EOF; returns the byte count, the reads that got data, and when the last byte came.
    private static func drain(_ master: FileDescriptor, reader: Reader, rig: Rig) throws(BenchError) -> (Int, Int, ContinuousClock.Instant) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        var bytes = 0, reads = 0
        var last = ContinuousClock.now
        switch reader {
        case .blocking:
            do {
                try master.setNonBlocking(false)
                while let got = try master.read(into: buffer), got > 0 {
                    bytes += got
                    reads += 1
                    last = .now
                }
            } catch {
                throw BenchError("raw pty: \(error)")
            }
        case .epoll:
            // The project's own loop, reading as the worker does (until EAGAIN) but sending nothing.
            var ended = false
            let loop = rig.loop
            let registration: EventLoop.Registration
            do {
                registration = try loop.register(master.raw, for: .readable) { _ in
                    while !ended, let got = try? master.read(into: buffer) {
                        if got == 0 { ended = true; break }
                        bytes += got
                        reads += 1
                        last = .now
                    }
                    if ended { loop.stop() }
                }
            } catch {
                throw BenchError("raw pty: \(error)")
            }
            let finished = rig.serve(timeout: .seconds(300)) { ended }
            loop.deregister(registration, fd: master.raw)
            guard finished else { throw BenchError("raw pty did not end in 300 s") }
        }
        return (bytes, reads, last)
    }
}
