import Glibc

public enum ProcessEnvironment {
    /// This process's environment as `NAME=value` strings.
    public static func current() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }

    /// Removes `name` and overwrites its value where it lies: unsetenv alone only unlinks the entry,
    /// and /proc/PID/environ still shows the original bytes to every process of the same user.
    public static func erase(_ name: String) {
        let prefix = Array((name + "=").utf8)
        var pointer = environ
        while let entry = pointer.pointee {
            if memcmp(entry, prefix, prefix.count) == 0 {
                let value = entry + prefix.count
                memset(value, 0x78, strlen(value))  // 'x'
            }
            pointer += 1
        }
        unsetenv(name)
    }
}
