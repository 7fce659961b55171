import Glibc

/// The start-up checks on configured paths, each failure one line that names the variable and says
/// what is wrong with the path (a missing parent, no permission, a read-only file system).
enum FolderCheck {
    typealias Invalid = GatewayConfig.Invalid

    /// Creates `path` (mode 0700) unless it is already a folder.
    static func create(_ path: String, variable: String) throws(Invalid) {
        if mkdir(path, 0o700) == 0 { return }
        let code = errno
        if code == EEXIST {
            guard isFolder(path) else { throw Invalid(variable: variable, value: path, problem: "it exists and is not a folder") }
            // A volume mounted with another owner: said here rather than by the first failed write.
            guard access(path, W_OK | X_OK) == 0 else {
                throw Invalid(variable: variable, value: path, problem: "this user (uid \(getuid())) cannot write in it")
            }
            return
        }
        throw Invalid(variable: variable, value: path, problem: "cannot create the folder: \(reason(code, parent: parent(of: path)))")
    }

    /// The folder that will hold `path` exists. Whether it is writable is the store's to report: a
    /// read-only database still serves its history (with /health saying 503).
    static func existingParent(of path: String, variable: String) throws(Invalid) {
        let folder = parent(of: path)
        guard isFolder(folder) else { throw Invalid(variable: variable, value: path, problem: "its folder \(folder) does not exist") }
    }

    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.last == "/" { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    private static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private static func reason(_ code: Int32, parent: String) -> String {
        switch code {
        case ENOENT, ENOTDIR: "its parent \(parent) does not exist"
        case EACCES, EPERM: "no permission to write in \(parent)"
        case EROFS: "\(parent) is on a read-only file system"
        default: String(cString: strerror(code))
        }
    }
}
