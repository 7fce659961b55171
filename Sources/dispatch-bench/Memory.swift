import DispatchGateway
import DispatchPosix
import Glibc

/// Memory of idle sessions: each worker's RSS and PSS (from its pid, it is a separate binary) and the
/// gateway's (this process hosts the supervisor) with 1, 10 and 100 sessions running `sleep`.
///
/// PSS splits each shared page among the processes that map it, so the sum of the workers' PSS is
/// what they cost together, and its growth per session is what one more worker costs the machine.
enum Memory {
    /// The fields of /proc/PID/smaps_rollup this report uses, in kB.
    struct Usage {
        var rss = 0, pss = 0, pssAnon = 0, pssFile = 0, privateBytes = 0

        init?(pid: pid_t) {
            guard let text = readSmallFile("/proc/\(pid)/smaps_rollup") else { return nil }
            func kB(_ name: String) -> Int {
                procField(text, name).flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
            }
            rss = kB("Rss")
            pss = kB("Pss")
            pssAnon = kB("Pss_Anon")
            pssFile = kB("Pss_File")
            privateBytes = kB("Private_Clean") + kB("Private_Dirty")
        }

        var summary: String {
            "RSS \(rss) kB, PSS \(pss) kB (anon \(pssAnon), file \(pssFile)), private \(privateBytes) kB"
        }
    }

    struct Point {
        let sessions: Int
        let gateway: Usage
        let workers: [Usage]
        var workerPss: Int { workers.reduce(0) { $0 + $1.pss } }
    }

    static let command = ["/bin/sh", "-c", "sleep 1000"]

    static func run() throws(BenchError) -> Bool {
        say("== memory: idle sessions running \(command.joined(separator: " ")) (kB from /proc/PID/smaps_rollup)")
        let rig = try Rig()
        defer { rig.shutdown() }
        rig.idle(.milliseconds(200))
        guard let baseline = Usage(pid: getpid()) else { throw BenchError("cannot read /proc/self/smaps_rollup") }
        say("  gateway, no session: \(baseline.summary)")
        var ids: [String] = []
        var running = Set<String>()
        rig.onEvent = { id, event in
            if case .status(let change) = event.body, change.kind == .started { running.insert(id) }
        }
        var points: [Point] = []
        for target in [1, 10, 100] {
            while ids.count < target { ids.append(try rig.create(command).id) }
            guard rig.serve(timeout: .seconds(60), until: { running.count == ids.count }) else {
                throw BenchError("only \(running.count) of \(ids.count) sessions started within 60 s")
            }
            // Let every worker finish starting (and its program reach sleep) and sit idle.
            rig.idle(.seconds(1))
            let workers = ids.compactMap { rig.supervisor.info($0)?.workerPid }.compactMap { Usage(pid: $0) }
            guard workers.count == ids.count, let gateway = Usage(pid: getpid()) else {
                throw BenchError("could not read the memory of every worker (\(workers.count) of \(ids.count))")
            }
            let point = Point(sessions: target, gateway: gateway, workers: workers)
            points.append(point)
            if target == 1 { say("  one idle worker: \(workers[0].summary)") }
            let averageRss = workers.reduce(0) { $0 + $1.rss } / workers.count
            say("  \(pad("\(target)", 3)) sessions: gateway \(gateway.summary);"
                  + " workers: sum PSS \(point.workerPss) kB, mean RSS \(averageRss) kB, mean PSS \(point.workerPss / workers.count) kB")
        }
        rig.onEvent = { _, _ in }
        if let first = points.first, let last = points.last, last.sessions > first.sessions {
            let extra = Double(last.sessions - first.sessions)
            let workerKB = Double(last.workerPss - first.workerPss) / extra
            // The gateway's PSS even falls as workers come, since they share its libc pages; its
            // private memory is what a session costs it.
            let gatewayKB = Double(last.gateway.privateBytes - first.gateway.privateBytes) / extra
            say("  per extra session, \(first.sessions) -> \(last.sessions): worker PSS +\(fixed(workerKB)) kB"
                  + " (aim <= 1536 kB), gateway private +\(fixed(gatewayKB)) kB")
        }
        return true
    }
}
