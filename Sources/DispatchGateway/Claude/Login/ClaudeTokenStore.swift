import DispatchPosix
import Glibc

/// The Claude OAuth token from a browser login, kept in `<home>/claude-oauth-token` with mode 0600.
/// It is handed to Claude processes as `CLAUDE_CODE_OAUTH_TOKEN`, privately; it is never logged and
/// never returned by a route. Written atomically: a crash leaves the old token or the new, never half.
public struct ClaudeTokenStore: Sendable {
    public static let fileName = "claude-oauth-token"
    /// A token is one short line; a bigger file is not ours.
    static let maximumFileSize = 4096

    public let path: String

    public init(home: String) {
        path = home + "/" + Self.fileName
    }

    /// The stored token, or nil when there is none (or the file is not a plain private file of ours).
    public func load() -> String? {
        // Not through a symlink: someone able to write into the home could point it elsewhere.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == getuid(),
              info.st_size <= Self.maximumFileSize else { return nil }
        var bytes = [UInt8](repeating: 0, count: Self.maximumFileSize + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            count += n
        }
        let token = String(decoding: bytes[..<count], as: UTF8.self).filter { !$0.isWhitespace }
        return token.isEmpty ? nil : token
    }

    /// Replaces the stored token: a private temporary file, flushed, then renamed over the old one.
    public func save(_ token: String) throws(SystemError) {
        let temporary = "\(path).\(Hex.encode(Randomness.bytes(8))).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SystemError("open \(temporary)") }
        var failure: SystemError?
        if !KeyStore.writeAll(fd, Array((token + "\n").utf8)) || fsync(fd) != 0 { failure = SystemError("write \(temporary)") }
        if close(fd) != 0, failure == nil { failure = SystemError("close \(temporary)") }
        if failure == nil, rename(temporary, path) != 0 { failure = SystemError("rename to \(path)") }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// Deletes the stored token; nothing to do when there is none.
    public func forget() {
        unlink(path)
    }
}
