import DispatchHTTP
import DispatchPosix
import Glibc

/// The browser UI from `static/`: GET and HEAD only, a fixed MIME table, an ETag from size and
/// modification time (304 when it matches), and no path outside the root: every component must be
/// a plain name, and no symlink is followed on the way down (each one is opened with O_NOFOLLOW
/// relative to the folder before it).
struct StaticFiles {
    let root: String
    static let maxFileSize = 16 << 20

    static let types = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8", "json": "application/json", "svg": "image/svg+xml", "png": "image/png",
        "ico": "image/x-icon", "woff2": "font/woff2", "txt": "text/plain; charset=utf-8", "map": "application/json",
    ]

    func respond(to request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return Responses.error(405, "method not allowed", headers: [("Allow", "GET, HEAD")])
        }
        var components = request.path.split(separator: "/").map(String.init)
        if components.isEmpty { components = ["index.html"] }
        // Only the UI's own kinds of file are served: a script or a note left in the folder is not.
        guard components.allSatisfy({ !$0.hasPrefix(".") && !$0.contains("%") && !$0.contains("\\") }),
              let type = Self.types[String(components[components.count - 1].split(separator: ".").last ?? "")],
              let file = open(components) else {
            return Responses.error(404, "not found")
        }
        var info = stat()
        guard fstat(file.raw, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= Self.maxFileSize else {
            return Responses.error(404, "not found")
        }
        let etag = "\"\(String(info.st_size, radix: 16))-\(String(info.st_mtim.tv_sec, radix: 16))\""

        let caching = [("ETag", etag), ("Cache-Control", "no-cache")]
        if request.headers["If-None-Match"] == etag {
            return Responses.page(304, contentType: type, body: [], extra: caching)
        }
        return Responses.page(200, contentType: type, body: readAll(file, size: Int(info.st_size)), extra: caching)
    }

    /// Walks down from the root one component at a time, never through a symlink.
    private func open(_ components: [String]) -> FileDescriptor? {
        var folder = FileDescriptor(adopting: Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
        guard folder.isOpen else { return nil }
        for (index, name) in components.enumerated() {
            let last = index == components.count - 1
            let flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (last ? 0 : O_DIRECTORY)
            let next = FileDescriptor(adopting: openat(folder.raw, name, flags))
            guard next.isOpen else { return nil }
            folder = next
        }
        return folder
    }

    private func readAll(_ file: FileDescriptor, size: Int) -> [UInt8] {
        var body = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let n = body.withUnsafeMutableBytes { read(file.raw, $0.baseAddress! + filled, size - filled) }
            if n <= 0 { break }
            filled += n
        }
        return Array(body[0..<filled])
    }
}
