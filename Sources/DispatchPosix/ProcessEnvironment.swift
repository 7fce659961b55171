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
}
