import DispatchPosix
import Glibc

/// What a restarted gateway needs to recognise a worker of the one before: its pid and its secret.
struct WorkerIdentity: Equatable {
    var sessionId: String
    var pid: pid_t
    var secret: [UInt8]
}

/// Worker identities kept while their sessions live, one file per session, mode 0600 in a 0700 folder
/// inside the gateway's private runtime folder: only this user (who could ptrace the workers anyway)
/// can read a secret. Files are replaced atomically (write, then rename), so a crash leaves the old
/// identity or the new one, never half of one.
struct WorkerIdentityFiles {
    let folder: String

    init(runtimeDirectory: String) throws(SystemError) {
        folder = runtimeDirectory + "/workers"
        if mkdir(folder, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir \(folder)") }
    }

    func write(_ identity: WorkerIdentity) throws(SystemError) {
        guard let path = path(identity.sessionId) else { throw SystemError("session id \(identity.sessionId)", code: EINVAL) }
        let text = JSON.object([("session", .string(identity.sessionId)), ("pid", .int(identity.pid)),
                                ("secret", .string(Hex.encode(identity.secret)))]).text
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SystemError("create \(temporary)") }
        let file = FileDescriptor(adopting: fd)
        let bytes = Array(text.utf8)
        // A few hundred bytes into a fresh file: one write takes them all, or it failed.
        let written = bytes.withUnsafeBytes { Glibc.write(file.raw, $0.baseAddress, $0.count) }
        file.close()
        guard written == bytes.count else { throw SystemError("write \(temporary)", code: EIO) }
        guard rename(temporary, path) == 0 else { throw SystemError("rename \(temporary)") }
    }

    /// The recorded identity, or nil when there is none or it cannot be read as one.
    func read(_ sessionId: String) -> WorkerIdentity? {
        guard let path = path(sessionId) else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.read(fd, &buffer, buffer.count)
        guard count > 0, let json = JSON.parse(Array(buffer[0..<count])),
              json["session"]?.string == sessionId,
              let pid = json["pid"]?.integer, pid > 1, let pid = pid_t(exactly: pid),
              let secret = json["secret"]?.string.flatMap({ Hex.decode(Array($0.utf8)) }), !secret.isEmpty
        else { return nil }
        return WorkerIdentity(sessionId: sessionId, pid: pid, secret: secret)
    }

    func remove(_ sessionId: String) {
        if let path = path(sessionId) { unlink(path) }
    }

    /// Every session id with a recorded identity.
    func sessionIds() -> [String] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var ids: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".json") { ids.append(String(name.dropLast(5))) }
        }
        return ids
    }

    /// Session ids are ours (UUIDs), but a path is built from them: nothing that could leave the folder.
    private func path(_ sessionId: String) -> String? {
        let safe = !sessionId.isEmpty && sessionId.utf8.count <= 128
            && sessionId.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7a).contains($0) || (0x41...0x5a).contains($0) || $0 == 0x2d }
        return safe ? folder + "/" + sessionId + ".json" : nil
    }
}
