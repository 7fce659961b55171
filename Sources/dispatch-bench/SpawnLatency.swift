import DispatchGateway
import DispatchPosix
import Glibc

/// Time from `Supervisor.create` to the first output event of a program that prints one byte, split
/// into its stages so that a miss can be attributed: create() itself (posix_spawn of the worker),
/// the worker's hello (the `started` status event), and the first output event.
enum SpawnLatency {
    struct Sample {
        let create: Double
        let started: Double
        let firstByte: Double
    }

    static func run(samples: Int) throws(BenchError) -> Bool {
        say("== spawn to first output byte: /bin/printf x, \(samples) samples after 1 warm-up (ms from calling create)")
        let rig = try Rig()
        defer { rig.shutdown() }
        var results: [Sample] = []
        // The warm-up pages the worker binary and printf into the cache; later samples are sequential,
        // each after the previous session has stopped, so they do not compete with one another.
        for index in 0...samples {
            let sample = try measure(rig)
            if index > 0 { results.append(sample) }
            say("  \(index == 0 ? "warm-up" : "sample \(index)"): create \(fixed(sample.create, 2)),"
                  + " started \(fixed(sample.started, 2)), first byte \(fixed(sample.firstByte, 2))")
        }
        func line(_ name: String, _ values: [Double]) -> String {
            let sorted = values.sorted()
            return "  \(name): p50 \(fixed(percentile(sorted, 0.5), 2)) ms, p90 \(fixed(percentile(sorted, 0.9), 2)) ms,"
                + " max \(fixed(sorted.last ?? 0, 2)) ms"
        }
        say(line("create returned", results.map(\.create)))
        say(line("worker hello   ", results.map(\.started)))
        say(line("first byte     ", results.map(\.firstByte)) + " (aim p50 <= 10 ms)")
        return true
    }

    private static func measure(_ rig: Rig) throws(BenchError) -> Sample {
        var started: ContinuousClock.Instant?
        var firstByte: ContinuousClock.Instant?
        var ended = false
        var failure: String?
        let start = ContinuousClock.now
        let session = try rig.create(["/bin/printf", "x"])
        let created = ContinuousClock.now
        // Set after create: the supervisor emits nothing for a session until the loop runs again.
        rig.onEvent = { id, event in
            guard id == session.id else { return }
            switch event.body {
            case .output:
                if firstByte == nil { firstByte = .now }
            case .status(let change):
                switch change.kind {
                case .started: started = .now
                case .stopped: ended = true
                case .error, .crashed:
                    failure = "\(change.kind): \(change.detail ?? "")"
                    ended = true
                case .restarted: break
                }
            default:
                break
            }
        }
        let finished = rig.serve(timeout: .seconds(10)) { ended }
        rig.onEvent = { _, _ in }
        guard finished else { throw BenchError("the printf session did not stop within 10 s") }
        if let failure { throw BenchError("the printf session failed: \(failure)") }
        guard let started, let firstByte else { throw BenchError("the printf session stopped without output") }
        return Sample(create: (created - start).milliseconds, started: (started - start).milliseconds,
                      firstByte: (firstByte - start).milliseconds)
    }
}
