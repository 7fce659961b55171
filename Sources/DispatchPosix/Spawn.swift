import CDispatchSys
import Glibc

/// What to run, where, and with which environment. Nothing is inherited implicitly: the environment
/// is exactly `environment`, and no fd above 2 reaches the child.
public struct Command: Sendable, Equatable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String]
    public var directory: String

    public init(executable: String, arguments: [String], environment: [String], directory: String) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
    }
}

/// A program running as session leader on a fresh pty, with the pty as its controlling terminal.
public struct PtyChild {
    public let pid: pid_t
    /// Non-blocking, close-on-exec; the only master fd.
    public let master: FileDescriptor
}

public enum Spawn {
    /// Starts `command` on a new pty of the given size. The slave is opened only in the child.
    public static func onPty(_ command: Command, cols: UInt16, rows: UInt16) throws(SystemError) -> PtyChild {
        var masterFD: Int32 = -1
        var slavePath = [CChar](repeating: 0, count: 128)
        try check("openpty") { dsys_open_pty(&masterFD, &slavePath, slavePath.count) }
        let master = FileDescriptor(adopting: masterFD)
        try check("TIOCSWINSZ") { dsys_set_winsize(master.raw, cols, rows) }
        let path = String(decoding: slavePath.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let pid = try spawn(command, ttyPath: path, stdio: (-1, -1, -1), newSession: true, inheriting: nil)
        return PtyChild(pid: pid, master: master)
    }

    /// The fd number at which `process(inheriting:)` hands its extra fd to the child.
    public static let inheritedFD: Int32 = 3

    /// Starts `command` with the given stdio fds (-1: /dev/null), optionally in a new session, and with
    /// `inheriting` (if given) as its fd `inheritedFD`.
    public static func process(_ command: Command, stdin: Int32, stdout: Int32, stderr: Int32, newSession: Bool,
                               inheriting: Int32? = nil) throws(SystemError) -> pid_t {
        try spawn(command, ttyPath: nil, stdio: (stdin, stdout, stderr), newSession: newSession, inheriting: inheriting)
    }

    private static func spawn(_ command: Command, ttyPath: String?, stdio: (Int32, Int32, Int32), newSession: Bool,
                              inheriting: Int32?) throws(SystemError) -> pid_t {
        var pid: pid_t = 0
        let argv = CStringArray([command.executable] + command.arguments)
        let envp = CStringArray(command.environment)
        let rc = argv.withPointers { argvPointer in
            envp.withPointers { envpPointer in
                command.directory.withCString { cwd in
                    withOptionalCString(ttyPath) { tty in
                        dsys_spawn(&pid, command.executable, argvPointer, envpPointer, cwd, tty,
                                   stdio.0, stdio.1, stdio.2, newSession ? 1 : 0, inheriting ?? -1)
                    }
                }
            }
        }
        if rc != 0 { throw SystemError("spawn \(command.executable)", code: rc) }
        return pid
    }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

/// A NULL-terminated `char *[]` that lives as long as this value.
private final class CStringArray {
    private var pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func withPointers<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        pointers.withUnsafeBufferPointer { buffer in
            // Safe: a non-empty array's base address is never nil.
            body(buffer.baseAddress!)
        }
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }
}
