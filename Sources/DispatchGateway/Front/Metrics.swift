/// Counters for `GET /metrics`, in the Prometheus text format. Loop-confined. Figures that other
/// parts already count (input bytes, events stored) are read from them at render time.
struct Metrics {
    var loginFailures = 0
    var bytesOut = 0

    struct Readings {
        var sessionsByStatus: [String: Int]
        var workerRestarts: Int
        var webSockets: Int
        var storeBytes: Int
        var bytesIn: Int
        var eventsStored: Int
    }

    func render(_ gauges: Readings) -> String {
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Int)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { text += "\(name)\(labels) \(value)\n" }
        }
        let statuses = ["starting", "running", "stopped", "error"]
        metric("dispatch_sessions", "gauge", "Sessions by status.",
               statuses.map { ("{status=\"\($0)\"}", gauges.sessionsByStatus[$0] ?? 0) })
        metric("dispatch_worker_restarts_total", "counter", "Worker restarts of this run's sessions.", [("", gauges.workerRestarts)])
        metric("dispatch_websocket_connections", "gauge", "Open WebSocket connections.", [("", gauges.webSockets)])
        metric("dispatch_input_bytes_total", "counter", "Bytes typed into sessions.", [("", gauges.bytesIn)])
        metric("dispatch_output_bytes_total", "counter", "Bytes of terminal output from sessions.", [("", bytesOut)])
        metric("dispatch_login_failures_total", "counter", "Failed logins (wrong key or throttled).", [("", loginFailures)])
        metric("dispatch_events_stored_total", "counter", "Session events written to the store.", [("", gauges.eventsStored)])
        metric("dispatch_store_bytes", "gauge", "Size of the database file.", [("", gauges.storeBytes)])
        return text
    }
}
