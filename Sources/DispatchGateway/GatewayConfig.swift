import DispatchPosix
import Glibc

/// Settings from the environment, each with a default so a bare `dispatch-gateway` runs.
public struct GatewayConfig: Sendable {
    public var home: String
    public var workspacesRoot: String
    public var workerExecutable: String
    public var maxSessions: Int

    public init(environment: [String]) {
        var values: [String: String] = [:]
        for entry in environment {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        let userHome = values["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/root"
        home = values["DISPATCH_HOME"] ?? userHome + "/.dispatch"
        workspacesRoot = values["WORKSPACES_ROOT"] ?? home + "/workspaces"
        workerExecutable = values["DISPATCH_WORKER_BIN"] ?? Self.siblingExecutable("dispatch-worker")
        maxSessions = values["MAX_SESSIONS"].flatMap { Int($0) } ?? 200
    }

    public var runtimeDirectory: String { home + "/run" }

    func prepareFolders() throws(SystemError) {
        for path in [home, workspacesRoot] where mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw SystemError("mkdir \(path)")
        }
    }

    /// The worker ships next to the gateway (both in .build/debug, /usr/local/bin or the image).
    static func siblingExecutable(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return name }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return name }
        return String(path[...slash]) + name
    }
}
