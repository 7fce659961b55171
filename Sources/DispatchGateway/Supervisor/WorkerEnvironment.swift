/// The environment a worker and its program get: an allow-list of what a shell needs, so that the
/// gateway's secrets (the key, tokens, anything else it was started with) never reach a session.
public enum WorkerEnvironment {
    static let allowedNames: Set<String> = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR"]

    public static func build(from environment: [String], home: String? = nil) -> [String] {
        var kept = environment.filter { entry in
            guard let name = entry.split(separator: "=", maxSplits: 1).first.map(String.init) else { return false }
            return allowedNames.contains(name) || name.hasPrefix("LC_")
        }
        if !kept.contains(where: { $0.hasPrefix("PATH=") }) {
            kept.append("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        }
        if let home {
            kept = kept.filter { !$0.hasPrefix("HOME=") } + ["HOME=\(home)"]
        }
        return kept + ["COLORTERM=truecolor"]
    }
}
