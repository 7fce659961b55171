import Glibc

// Small formatting and statistics helpers. The bench avoids Foundation on purpose: this process
// hosts the supervisor and its RSS/PSS is reported as the gateway's, so the bench's own code should
// add as little to it as it can.

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }

    var milliseconds: Double { seconds * 1000 }
}

/// Prints a line straight to fd 1, unbuffered, so that progress shows even when stdout is a file
/// (print() buffers fully there, and stdio's `stdout` is not touchable under strict concurrency).
func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}

/// `value` with exactly `digits` decimals.
func fixed(_ value: Double, _ digits: Int = 1) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard digits > 0 else { return "\(sign)\(whole)" }
    let text = String(fraction)
    return "\(sign)\(whole)." + String(repeating: "0", count: digits - text.count) + text
}

/// A difference with its sign, two decimals: "+1.25", "-0.40".
func signed(_ value: Double) -> String {
    (value >= 0 ? "+" : "") + fixed(value, 2)
}

/// Right-aligns `text` in `width` columns, for the aligned tables printed on stdout.
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

/// The nearest-rank percentile (0 < q <= 1) of `sorted`, which must not be empty.
func percentile(_ sorted: [Double], _ q: Double) -> Double {
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

/// A whole small file (procfs files report size 0, so read until EOF).
func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The value of a `Name:   value` line of a /proc file.
func procField(_ text: String, _ name: String) -> Substring? {
    for line in text.split(separator: "\n") where line.hasPrefix(name) {
        // /proc/cpuinfo pads names with tabs before the colon ("model name\t: ..."); others do not.
        let rest = line.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
        guard rest.first == ":" else { continue }
        return rest.dropFirst().drop { $0 == " " || $0 == "\t" }
    }
    return nil
}

/// The machine, for BENCHMARKS.md: CPUs, CPU model, kernel, memory, and the date.
func machineDescription() -> String {
    let cpus = sysconf(Int32(_SC_NPROCESSORS_ONLN))
    let model = readSmallFile("/proc/cpuinfo").flatMap { procField($0, "model name") } ?? "?"
    let memory = readSmallFile("/proc/meminfo").flatMap { procField($0, "MemTotal") } ?? "?"
    var names = utsname()
    uname(&names)
    let kernel = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    var date = [CChar](repeating: 0, count: 32)
    strftime(&date, date.count, "%Y-%m-%d %H:%M UTC", &parts)
    return "machine: nproc \(cpus), \(model), kernel \(kernel), memory \(memory), \(String(decoding: date.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
}

/// CPU seconds used by this process, and by it plus every descendant reaped so far.
struct CPUTime {
    var own: Double
    var total: Double

    static func now() -> CPUTime {
        var mine = rusage(), reaped = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &mine)
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &reaped)
        func seconds(_ usage: rusage) -> Double {
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        return CPUTime(own: seconds(mine), total: seconds(mine) + seconds(reaped))
    }

    static func - (a: CPUTime, b: CPUTime) -> CPUTime {
        CPUTime(own: a.own - b.own, total: a.total - b.total)
    }
}
