import DispatchPosix
import Glibc

// dispatch-bench: the process-model benchmarks behind BENCHMARKS.md. Everything runs on the main
// thread (see Rig); this file only reads the command line and runs the chosen benchmarks.

let usage = """
    usage: dispatch-bench [throughput|spawn|memory|all] [--mb N] [--runs N] [--samples N]
      throughput  relay MB/s of a line producer and a block producer, next to the raw pty ceiling
                  (--mb: megabytes of input to base64, default 200; --runs: best of, default 3)
      spawn       create() to first output byte of /bin/printf x (--samples, default 20)
      memory      RSS/PSS of idle workers and of this process (the gateway) with 1, 10, 100 sessions
      all         memory, spawn, then throughput (the default; memory first so that the gateway's
                  figures are not inflated by the buffers the throughput runs leave behind)
    Build every product first (the worker ships next to this binary, or set DISPATCH_WORKER_BIN):
      swift build -c release --static-swift-stdlib && .build/release/dispatch-bench all
    """

func parse(_ arguments: [String]) -> (benchmark: String, megabytes: Int, runs: Int, samples: Int)? {
    var benchmark = "all", megabytes = 200, runs = 3, samples = 20
    var rest = arguments[...]
    while let argument = rest.popFirst() {
        switch argument {
        case "throughput", "spawn", "memory", "all":
            benchmark = argument
        case "--mb", "--runs", "--samples":
            guard let value = rest.popFirst().flatMap({ Int($0) }), value > 0 else { return nil }
            if argument == "--mb" { megabytes = value } else if argument == "--runs" { runs = value } else { samples = value }
        default:
            return nil
        }
    }
    return (benchmark, megabytes, runs, samples)
}

func runBenchmarks() -> Int32 {
    guard let options = parse(Array(CommandLine.arguments.dropFirst())) else {
        say(usage)
        return 2
    }
    // Like the gateway: a worker that vanishes must be an error on send, not a SIGPIPE.
    Signals.ignore(SIGPIPE)
    // The supervisor's info lines (a worker started, exited) would drown the results.
    Log.minimumLevel = .warn
    say(machineDescription())
    say("worker: \(Rig.workerExecutable())")
    say("load average at the start: \(readSmallFile("/proc/loadavg")?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?")")
    var ok = true
    do {
        if options.benchmark == "memory" || options.benchmark == "all" { ok = try Memory.run() && ok }
        if options.benchmark == "spawn" || options.benchmark == "all" { ok = try SpawnLatency.run(samples: options.samples) && ok }
        if options.benchmark == "throughput" || options.benchmark == "all" {
            ok = try Throughput.run(megabytes: options.megabytes, runs: options.runs) && ok
        }
    } catch {
        say("dispatch-bench: \(error)")
        return 1
    }
    // Other work on a shared machine moves these figures; the load average shows whether there was any.
    say("load average at the end: \(readSmallFile("/proc/loadavg")?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?")")
    return ok ? 0 : 1
}

exit(runBenchmarks())
