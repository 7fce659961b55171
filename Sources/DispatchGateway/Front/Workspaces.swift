import DispatchPosix
import Glibc

/// Workspace folders under one root. A name is one simple path component, so a folder can never be
/// outside the root; the folder itself must be a real directory (not a symlink that points elsewhere).
struct Workspaces {
    let root: String

    enum Problem: Error, Equatable, CustomStringConvertible {
        case invalidName(String)
        case notAFolder(String)
        case system(String)

        var description: String {
            switch self {
            case .invalidName(let name): "invalid workspace name \(JSONString.quoted(name)): use 1-64 letters, digits, '.', '_' or '-', not starting with '.'"
            case .notAFolder(let name): "workspace \(name) exists but is not a folder"
            case .system(let message): message
            }
        }
    }

    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), bytes[0] != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }
    }

    /// The folder of workspace `name`, created when missing.
    func folder(_ name: String) throws(Problem) -> String {
        guard Self.isValidName(name) else { throw .invalidName(name) }
        let path = root + "/" + name
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .system("cannot create workspace \(name): \(SystemError("mkdir", code: errno).description)")
        }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { throw .notAFolder(name) }
        return path
    }

    /// A fresh workspace for a session created without one.
    func fresh() throws(Problem) -> (name: String, path: String) {
        let name = "session-" + Hex.encode(Randomness.bytes(4))
        return (name, try folder(name))
    }

    /// Workspace names, sorted.
    func list() -> [String] {
        guard let directory = opendir(root) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if Self.isValidName(name), entry.pointee.d_type == UInt8(DT_DIR) { names.append(name) }
        }
        return names.sorted()
    }
}
