import Glibc

/// Finds a program the way a shell would, so a missing CLI is reported by name before anything is
/// spawned: a name with a slash is taken as a path, any other is looked for in the `PATH` folders.
enum ExecutableLookup {
    static func find(_ name: String, searchPath: String) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") { return isExecutableFile(name) ? name : nil }
        for folder in searchPath.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = folder + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// `PATH` of an environment list (`NAME=value` entries), or the usual folders when it has none.
    static func searchPath(of environment: [String]) -> String {
        environment.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? "/usr/local/bin:/usr/bin:/bin"
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && access(path, X_OK) == 0
    }
}
