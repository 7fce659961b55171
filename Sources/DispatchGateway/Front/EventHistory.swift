/// A session's recent events, kept so that a client that reconnects (or a second device) can catch up.
/// Bounded in bytes; the oldest go first. (The SQLite event store replaces this bound with retention.)
struct EventHistory {
    struct Entry {
        let seq: UInt64
        /// The whole `run:event` message, encoded once and shared by every viewer.
        let message: String
        let size: Int
    }

    private var entries: [Entry] = []
    private var head = 0
    private var bytes = 0
    let byteLimit: Int

    init(byteLimit: Int) {
        self.byteLimit = byteLimit
    }

    /// The first seq still held; nil when nothing is.
    var firstSeq: UInt64? { head < entries.count ? entries[head].seq : nil }

    mutating func append(_ entry: Entry) {
        entries.append(entry)
        bytes += entry.size
        while bytes > byteLimit, head < entries.count - 1 {
            bytes -= entries[head].size
            head += 1
        }
        if head > 1024, head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }

    func entries(after seq: UInt64) -> ArraySlice<Entry> {
        var low = head, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].seq <= seq { low = mid + 1 } else { high = mid }
        }
        return entries[low...]
    }
}
