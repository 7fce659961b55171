import DispatchPosix
import DispatchWire

/// Between the supervisor and the clients: every session's descriptor and recent history, who is
/// watching what, and the back-pressure rule: a session is held (its worker not credited) while any of
/// its viewers is behind, and a viewer that stays behind too long is detached. Loop-confined.
final class SessionHub {
    struct Record {
        var workspace: String
        var title: String
        let createdAt: Int64
        var updatedAt: Int64
    }

    private let supervisor: Supervisor
    private let loop: EventLoop
    private let limits: ServerLimits
    private let historyBytes: Int
    private var records: [String: Record] = [:]
    private var histories: [String: EventHistory] = [:]
    private var viewers: [String: [Viewer]] = [:]
    private var held: Set<String> = []
    /// Any session was created, changed status, or went away.
    var onSessionsChanged: () -> Void = {}

    init(supervisor: Supervisor, loop: EventLoop, limits: ServerLimits, historyBytes: Int = 4 << 20) {
        self.supervisor = supervisor
        self.loop = loop
        self.limits = limits
        self.historyBytes = historyBytes
        supervisor.onEvent = { [unowned self] id, event in received(id, event) }
        supervisor.onSessionChanged = { [unowned self] info in
            records[info.id]?.updatedAt = WallClock.milliseconds()
            onSessionsChanged()
        }
        scheduleStallCheck()
    }

    // MARK: sessions

    func create(_ spec: SessionSpec, workspace: String) throws(SupervisorError) -> JSON {
        let now = WallClock.milliseconds()
        // Recorded first: the supervisor reports the new session while creating it.
        let id = Secrets.sessionID()
        records[id] = Record(workspace: workspace, title: workspace, createdAt: now, updatedAt: now)
        histories[id] = EventHistory(byteLimit: historyBytes)
        do {
            return descriptor(try supervisor.create(spec, id: id))
        } catch {
            records[id] = nil
            histories[id] = nil
            throw error
        }
    }

    func list() -> [JSON] {
        supervisor.list().map(descriptor)
    }

    func descriptor(_ id: String) -> JSON? {
        supervisor.info(id).map(descriptor)
    }

    private func descriptor(_ info: SessionInfo) -> JSON {
        let record = records[info.id]
        var members: [(String, JSON)] = [
            ("id", .string(info.id)), ("kind", .string(info.kind.rawValue)), ("status", .string(info.status.rawValue)),
            ("workspace", .string(record?.workspace ?? "")), ("title", .string(record?.title ?? "")),
            ("createdAt", .string(WallClock.iso8601(milliseconds: record?.createdAt ?? 0))),
            ("updatedAt", .string(WallClock.iso8601(milliseconds: record?.updatedAt ?? 0))),
            ("restarts", .int(info.restarts)), ("lastSeq", .int(info.lastSeq)),
        ]
        var meta: [(String, JSON)] = [("cwd", .string(info.directory))]
        if let pid = info.programPid { meta.append(("pid", .int(pid))) }
        if let detail = info.detail { meta.append(("detail", .string(detail))) }
        members.append(("meta", .object(meta)))
        return .object(members)
    }

    // MARK: viewers

    /// Sends every held event after `afterSeq`, then keeps the viewer for live events: both happen in
    /// this one loop turn, so there is no gap and no duplicate at the seam. Returns where the held
    /// history starts when the client asked for events that are no longer kept.
    func attach(_ client: ClientConnection, runId: String, afterSeq: UInt64, flow: Bool) throws(SupervisorError) -> UInt64? {
        guard supervisor.info(runId) != nil, let history = histories[runId] else { throw .unknownSession(runId) }
        detach(client, runId: runId)
        let viewer = Viewer(runId: runId, flow: flow, client: client)
        for entry in history.entries(after: afterSeq) {
            client.sendRaw(entry.message)
            viewer.sent(seq: entry.seq, size: entry.size)
        }
        viewers[runId, default: []].append(viewer)
        evaluate(runId)
        guard let first = history.firstSeq, first > afterSeq + 1 else { return nil }
        return first
    }

    func detach(_ client: ClientConnection, runId: String) {
        viewers[runId]?.removeAll { $0.client === client }
        evaluate(runId)
    }

    func detachAll(_ client: ClientConnection) {
        for runId in Array(viewers.keys) { detach(client, runId: runId) }
    }

    func acknowledge(_ client: ClientConnection, runId: String, seq: UInt64) {
        viewers[runId]?.first { $0.client === client }?.acknowledge(through: seq)
        evaluate(runId)
    }

    /// A client's outbound queue emptied: sessions it held back may go on.
    func drained(_ client: ClientConnection) {
        for (runId, list) in viewers where list.contains(where: { $0.client === client }) { evaluate(runId) }
    }

    // MARK: events

    private func received(_ id: String, _ event: SessionEvent) {
        let ts = WallClock.milliseconds()
        records[id]?.updatedAt = ts
        let message = JSON.object([
            ("type", .string("run:event")), ("runId", .string(id)), ("seq", .int(event.seq)),
            ("channel", .string(event.channel)), ("payload", Self.payload(event.body)), ("ts", .int(ts)),
        ]).text
        let size = message.utf8.count
        histories[id]?.append(EventHistory.Entry(seq: event.seq, message: message, size: size))
        guard let list = viewers[id] else { return }
        for viewer in list {
            viewer.client.sendRaw(message)
            viewer.sent(seq: event.seq, size: size)
        }
        evaluate(id)
    }

    static func payload(_ body: SessionEvent.Body) -> JSON {
        switch body {
        case .output(let text):
            return .string(text)
        case .exit(let exit):
            return switch exit {
            case .exited(let code): .object([("exitCode", .int(code)), ("signal", .null)])
            case .signaled(let signal): .object([("exitCode", .null), ("signal", .string(SignalNames.name(signal)))])
            }
        case .status(let change):
            var members: [(String, JSON)] = [("status", .string(change.kind.rawValue)), ("restarts", .int(change.restarts))]
            if let detail = change.detail { members.append(("detail", .string(detail))) }
            return .object(members)
        case .worker(_, let payload):
            return JSON.parse(payload) ?? .string(String(decoding: payload, as: UTF8.self))
        }
    }

    // MARK: back-pressure

    private func evaluate(_ runId: String) {
        let now = ContinuousClock.now
        var behind = false
        for viewer in viewers[runId] ?? [] {
            if viewer.isBehind(flowWindow: limits.flowWindow, outboundLimit: limits.maxWebSocketOutbound) {
                behind = true
                if viewer.holdingSince == nil { viewer.holdingSince = now }
            } else {
                viewer.holdingSince = nil
            }
        }
        guard behind != held.contains(runId) else { return }
        if behind { held.insert(runId) } else { held.remove(runId) }
        try? supervisor.setPaused(runId, behind)
    }

    private func scheduleStallCheck() {
        loop.schedule(after: .seconds(1)) { [weak self] in
            guard let self else { return }
            let now = ContinuousClock.now
            for (runId, list) in viewers {
                for viewer in list {
                    guard let since = viewer.holdingSince, now - since > limits.stalledViewerTimeout else { continue }
                    Log.warn("detaching a viewer that stopped keeping up", [("session", runId)])
                    detach(viewer.client, runId: runId)
                    viewer.client.sendError("detached from \(runId): the client stopped reading", runId: runId)
                }
            }
            scheduleStallCheck()
        }
    }
}

enum SignalNames {
    static func name(_ signal: Int32) -> String {
        let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 8: "SIGFPE", 9: "SIGKILL",
                                      11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"]
        return names[signal] ?? "SIG\(signal)"
    }
}
