import DispatchHTTP
import DispatchPosix
import Glibc

/// The shared key: from TERMINAL_KEY_FILE, else TERMINAL_KEY (then erased from the process environment), else
/// generated (256 random bits as 64 hex chars) once and kept in `<home>/terminal-key` with mode 0600 (reused on later starts).
public struct KeyStore {
    public enum Source: Equatable, Sendable {
        case file(String)
        case environment
        case generated(path: String, isNew: Bool)
    }

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case tooShort(minimum: Int)
        case unreadable(String)

        public var description: String {
            switch self {
            case .tooShort(let minimum): "the terminal key must be at least \(minimum) characters long"
            case .unreadable(let detail): "cannot read the terminal key: \(detail)"
            }
        }
    }

    public static let minimumLength = 16
    static let fileName = "terminal-key"
    /// A key file is a line of text; refusing anything bigger keeps a wrong path (a log, a device) from being slurped.
    static let maximumFileSize = 64 * 1024

    /// Trims one trailing newline from files; a key shorter than 16 chars is an error. An empty variable counts as
    /// unset, so `TERMINAL_KEY=${TERMINAL_KEY}` in a compose file without a value still gets a generated key.
    public static func load(environment: [String: String], home: String) throws -> (key: String, source: Source) {
        // Removed whichever source wins, so nothing spawned later can inherit it.
        if environment["TERMINAL_KEY"] != nil { ProcessEnvironment.erase("TERMINAL_KEY") }

        if let path = environment["TERMINAL_KEY_FILE"], !path.isEmpty {
            return (try validated(readKeyFile(path)), .file(path))
        }
        if let key = environment["TERMINAL_KEY"], !key.isEmpty {
            return (try validated(key), .environment)
        }
        let path = home + "/" + fileName
        if let existing = try readExistingGenerated(path) {
            return (try validated(existing), .generated(path: path, isNew: false))
        }
        let key = Hex.encode(Randomness.bytes(32))
        if try publish(key, home: home, path: path) {
            return (key, .generated(path: path, isNew: true))
        }
        // Another gateway start won the race to create the file: use its key.
        guard let winner = try readExistingGenerated(path) else { throw LoadError.unreadable("\(path): vanished") }
        return (try validated(winner), .generated(path: path, isNew: false))
    }

    /// Hash both sides with SHA-256 and compare the digests without an early exit.
    /// Hashing first makes the compared lengths fixed, so not even the key's length leaks.
    public static func matches(candidate: String, key: String) -> Bool {
        Secrets.constantTimeEqual(SHA256.hash(Array(candidate.utf8)), SHA256.hash(Array(key.utf8)))
    }

    // MARK: Files

    private static func validated(_ key: String) throws -> String {
        guard key.count >= minimumLength else { throw LoadError.tooShort(minimum: minimumLength) }
        return key
    }

    /// nil when there is none yet.
    private static func readExistingGenerated(_ path: String) throws -> String? {
        do {
            // Our own file may not be a symlink: someone able to write into the home could otherwise point it elsewhere.
            return try readKeyText(path, followSymlinks: false)
        } catch let error as SystemError where error.code == ENOENT {
            return nil
        } catch let error as SystemError {
            throw LoadError.unreadable("\(path): \(error)")
        }
    }

    /// Docker and Kubernetes secrets are often symlinks, so a configured file may be one.
    private static func readKeyFile(_ path: String) throws -> String {
        do {
            return try readKeyText(path, followSymlinks: true)
        } catch let error as SystemError {
            throw LoadError.unreadable("\(path): \(error)")
        }
    }

    private static func readKeyText(_ path: String, followSymlinks: Bool) throws -> String {
        let flags = O_RDONLY | O_CLOEXEC | (followSymlinks ? 0 : O_NOFOLLOW)
        let fd = open(path, flags)
        guard fd >= 0 else { throw SystemError("open") }
        defer { close(fd) }
        if !followSymlinks {
            // Tighten a copy that was loosened by hand or restored from a backup; failing that is not fatal.
            _ = fchmod(fd, 0o600)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[..<n])
            if bytes.count > maximumFileSize { throw LoadError.unreadable("\(path): larger than \(maximumFileSize) bytes") }
        }
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        guard let key = String(validating: bytes, as: UTF8.self) else {
            throw LoadError.unreadable("\(path): not UTF-8 text")
        }
        return key
    }

    /// Writes the key to a private temporary file and links it into place, so the key file appears complete or not
    /// at all (a crash mid-write must not leave a short key behind) and an existing one is never overwritten.
    /// False when the file already exists.
    private static func publish(_ key: String, home: String, path: String) throws -> Bool {
        if mkdir(home, 0o700) != 0 && errno != EEXIST {
            throw LoadError.unreadable("\(home): \(SystemError("mkdir"))")
        }
        let temporary = "\(path).\(Hex.encode(Randomness.bytes(8))).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw LoadError.unreadable("\(temporary): \(SystemError("open"))") }
        defer { unlink(temporary) }
        guard writeAll(fd, Array((key + "\n").utf8)), fsync(fd) == 0 else {
            let failure = SystemError("write")
            close(fd)
            throw LoadError.unreadable("\(temporary): \(failure)")
        }
        guard close(fd) == 0 else { throw LoadError.unreadable("\(temporary): \(SystemError("close"))") }
        if link(temporary, path) != 0 {
            if errno == EEXIST { return false }
            throw LoadError.unreadable("\(path): \(SystemError("link"))")
        }
        return true
    }

    /// Also used for the Claude token file.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }
}
