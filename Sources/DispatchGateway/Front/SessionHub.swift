import DispatchPosix
import DispatchStore
import DispatchWire

/// Between the supervisor, the store and the clients: every session's descriptor and stored history,
/// who is watching what, and the back-pressure rule: a session is held (its worker not credited) while
/// any of its viewers is behind, and a viewer that stays behind too long is detached. Loop-confined.
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
    let recorder: EventRecorder
    private var records: [String: Record] = [:]
    /// Sessions of earlier gateway runs: their history can be read, nothing runs.
    private var pastSessions: [String: SessionRow] = [:]
    private var viewers: [String: [Viewer]] = [:]
    private var undelivered: [StoredEvent] = []
    private var deliveryTimer: EventLoop.Timer?
    private var delivering = false
    private var heldAcks: [String: UInt64] = [:]
    private var held: Set<String> = []
    /// Sessions the gateway runs for itself (the Claude login): never listed or saved, and no terminal
    /// anyone can type into. Their owner alone gets their output; only their `claude:auth` events are
    /// stored and delivered, so attaching to one shows its progress and nothing else. Those are numbered
    /// 1, 2, 3... on their own (`storedSeq`): the supervisor's numbers also count the output kept back.
    private var hiddenSessions: [String: HiddenSession] = [:]

    struct HiddenSession {
        let onEvent: (SessionEvent) -> Void
        let onChange: (SessionInfo) -> Void
        var storedSeq: UInt64 = 0
    }
    /// Any session was created, changed status, or went away.
    var onSessionsChanged: () -> Void = {}
    /// Each event as it is handed to the store (for the output metrics).
    var onEventRecorded: (StoredEvent) -> Void = { _ in }
    /// Kind-specific members of a live session's meta (Claude's conversation and pending permissions).
    var extraMeta: (String) -> [(String, JSON)] = { _ in [] }

    /// `respawn` says what a session of an earlier gateway runs (from its stored row), for adopting it.
    init(supervisor: Supervisor, recorder: EventRecorder, loop: EventLoop, limits: ServerLimits,
         respawn: (SessionRow) -> (SessionSpec, (any SessionAdapter)?)?) {
        self.supervisor = supervisor
        self.recorder = recorder
        self.loop = loop
        self.limits = limits
        supervisor.onEvent = { [unowned self] id, event in received(id, event) }
        supervisor.onSessionChanged = { [unowned self] info in
            if let hidden = hiddenSessions[info.id] { return hidden.onChange(info) }
            records[info.id]?.updatedAt = WallClock.milliseconds()
            save(info)
            onSessionsChanged()
        }
        recorder.onStored = { [unowned self] runId, seq in
            // A hidden session's stored numbers are its own; it is acknowledged in the supervisor's as it goes.
            guard hiddenSessions[runId] == nil else { return }
            // During a delivery the viewers' frames go out first: the ack is not on the echo path.
            if delivering { heldAcks[runId] = max(heldAcks[runId] ?? 0, seq) } else { supervisor.stored(runId, through: seq) }
        }
        // Sessions a gateway that is gone left running: their workers may come back to be adopted; the
        // others have no worker any more.
        let adopted = adoptInterrupted(respawn)
        let now = WallClock.milliseconds()
        recorder.attempt("mark interrupted sessions") {
            try $0.markInterrupted(statusesFrom: ["starting", "running"], to: "stopped", updatedAt: now, keeping: adopted)
        }
        for row in recorder.attempt("load sessions", { try $0.sessions() }) ?? [] where !adopted.contains(row.id) {
            pastSessions[row.id] = row
        }
        scheduleStallCheck()
    }

    private func adoptInterrupted(_ respawn: (SessionRow) -> (SessionSpec, (any SessionAdapter)?)?) -> [String] {
        let rows = recorder.attempt("load sessions", { try $0.sessions() }) ?? []
        var candidates: [AdoptionCandidate] = []
        for row in rows where row.status == "starting" || row.status == "running" {
            guard let (spec, adapter) = respawn(row),
                  let lastSeq = recorder.attempt("read the last seq", { try $0.lastSeq(runId: row.id) }),
                  let workerSeq = recorder.attempt("read the worker seq", { try $0.workerSeq(runId: row.id) })
            else { continue }
            records[row.id] = Record(workspace: row.workspace, title: row.title, createdAt: row.createdAt, updatedAt: row.updatedAt)
            candidates.append(AdoptionCandidate(id: row.id, spec: spec, adapter: adapter, lastSeq: lastSeq, workerSeq: workerSeq, restarts: row.restarts))
        }
        let adopted = supervisor.adopt(candidates)
        for candidate in candidates where !adopted.contains(candidate.id) { records[candidate.id] = nil }
        return adopted
    }

    // MARK: sessions

    func create(_ spec: SessionSpec, workspace: String, id: String = Secrets.sessionID(), adapter: (any SessionAdapter)? = nil) throws(SupervisorError) -> JSON {
        let now = WallClock.milliseconds()
        // Recorded first: the supervisor reports the new session while creating it.
        records[id] = Record(workspace: workspace, title: workspace, createdAt: now, updatedAt: now)
        do {
            return descriptor(try supervisor.create(spec, id: id, adapter: adapter))
        } catch {
            records[id] = nil
            throw error
        }
    }

    /// An ended session (stopped or error, of this run or an earlier one), as stored: what reopening it needs.
    func endedSession(_ id: String) -> SessionRow? {
        if let info = supervisor.info(id) { return info.status == .stopped || info.status == .error ? row(info) : nil }
        return pastSessions[id]
    }

    /// Starts an ended session again under its id, its events continuing after its last seq.
    func reopen(_ id: String, _ spec: SessionSpec, adapter: (any SessionAdapter)?) throws(SupervisorError) -> JSON {
        guard let ended = endedSession(id) else { throw supervisor.info(id) == nil ? .unknownSession(id) : .stillRunning(id) }
        if supervisor.info(id) != nil { return descriptor(try supervisor.reopen(id, spec, adapter: adapter)) }
        recorder.flush()
        let lastSeq = max(ended.lastSeq, (try? recorder.store.lastSeq(runId: id)) ?? 0)
        pastSessions[id] = nil
        records[id] = Record(workspace: ended.workspace, title: ended.title, createdAt: ended.createdAt, updatedAt: WallClock.milliseconds())
        do {
            return descriptor(try supervisor.create(spec, id: id, continuingAfter: lastSeq, adapter: adapter))
        } catch {
            records[id] = nil
            pastSessions[id] = ended
            throw error
        }
    }

    /// A live session's kind-specific meta changed: stored, and every client hears it.
    func metaChanged(_ id: String) {
        guard let info = supervisor.info(id) else { return }
        save(info)
        onSessionsChanged()
    }

    /// Past sessions first, then this run's, each in creation order.
    func list() -> [JSON] {
        pastSessions.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map(descriptor)
            + supervisor.list().filter { hiddenSessions[$0.id] == nil }.map(descriptor)
    }

    func descriptor(_ id: String) -> JSON? {
        visibleInfo(id).map(descriptor) ?? pastSessions[id].map(descriptor)
    }

    /// Renames a session of this run or of an earlier one.
    func rename(_ id: String, title: String) -> Bool {
        let now = WallClock.milliseconds()
        if let info = visibleInfo(id) {
            records[id]?.title = title
            records[id]?.updatedAt = now
            save(info)
        } else if var row = pastSessions[id] {
            row.title = title
            row.updatedAt = now
            pastSessions[id] = row
            recorder.attempt("rename session") { try $0.upsertSession(row) }
        } else {
            return false
        }
        onSessionsChanged()
        return true
    }

    /// Deletes an ended session and its history.
    func delete(_ id: String) throws(SupervisorError) {
        if visibleInfo(id) != nil { try supervisor.forget(id) } else if pastSessions[id] == nil { throw .unknownSession(id) }
        pastSessions[id] = nil
        records[id] = nil
        recorder.flush()
        recorder.attempt("delete session") { try $0.deleteSession(id: id) }
        onSessionsChanged()
    }

    func exists(_ id: String) -> Bool {
        supervisor.info(id) != nil || pastSessions[id] != nil
    }

    private func visibleInfo(_ id: String) -> SessionInfo? {
        hiddenSessions[id] == nil ? supervisor.info(id) : nil
    }

    func createHidden(_ spec: SessionSpec, id: String, _ handlers: HiddenSession) throws(SupervisorError) {
        hiddenSessions[id] = handlers
        do {
            _ = try supervisor.create(spec, id: id)
        } catch {
            hiddenSessions[id] = nil
            throw error
        }
    }

    func isHidden(_ id: String) -> Bool {
        hiddenSessions[id] != nil
    }

    /// Drops an ended hidden session and its stored events.
    func forgetHidden(_ id: String) throws(SupervisorError) {
        guard hiddenSessions[id] != nil else { throw .unknownSession(id) }
        try supervisor.forget(id)
        hiddenSessions[id] = nil
        recorder.flush()
        recorder.attempt("delete hidden session") { try $0.deleteSession(id: id) }
    }

    private func descriptor(_ info: SessionInfo) -> JSON {
        descriptor(row(info))
    }

    private func descriptor(_ row: SessionRow) -> JSON {
        .object([
            ("id", .string(row.id)), ("kind", .string(row.kind)), ("status", .string(row.status)),
            ("workspace", .string(row.workspace)), ("title", .string(row.title)),
            ("createdAt", .string(WallClock.iso8601(milliseconds: row.createdAt))),
            ("updatedAt", .string(WallClock.iso8601(milliseconds: row.updatedAt))),
            ("restarts", .int(row.restarts)), ("lastSeq", .int(row.lastSeq)),
            ("meta", JSON.parse(Array(row.meta.utf8)) ?? .object([])),
        ])
    }

    private func row(_ info: SessionInfo) -> SessionRow {
        let record = records[info.id]
        var meta: [(String, JSON)] = [("cwd", .string(info.directory))]
        if let pid = info.programPid { meta.append(("pid", .int(pid))) }
        if let detail = info.detail { meta.append(("detail", .string(detail))) }
        meta += extraMeta(info.id)
        return SessionRow(id: info.id, kind: info.kind.rawValue, status: info.status.rawValue, workspace: record?.workspace ?? "",
                          title: record?.title ?? "", createdAt: record?.createdAt ?? 0, updatedAt: record?.updatedAt ?? 0,
                          restarts: info.restarts, lastSeq: info.lastSeq, meta: JSON.object(meta).text)
    }

    private func save(_ info: SessionInfo) {
        recorder.attempt("save session") { try $0.upsertSession(row(info)) }
    }

    // MARK: viewers

    /// Sends every held event after `afterSeq`, then keeps the viewer for live events: both happen in
    /// this one loop turn, so there is no gap and no duplicate at the seam. Returns where the held
    /// history starts when the client asked for events that are no longer kept.
    func attach(_ client: ClientConnection, runId: String, afterSeq: UInt64, flow: Bool) throws(AttachError) -> UInt64? {
        guard exists(runId) else { throw .unknownSession(runId) }
        detach(client, runId: runId)
        let viewer = Viewer(flow: flow, client: client)
        var after = afterSeq
        do {
            while true {
                let page = try recorder.events(runId: runId, after: after, limit: 1000)
                for event in page {
                    let message = Self.message(event)
                    client.sendRaw(message)
                    viewer.sent(seq: event.seq, size: message.utf8.count)
                }
                guard let last = page.last, page.count == 1000 else { break }
                after = last.seq
            }
        } catch {
            throw .store(error.description)
        }
        viewers[runId, default: []].append(viewer)
        evaluate(runId)
        guard let first = try? recorder.store.firstSeq(runId: runId), first > 1, afterSeq < first - 1 else { return nil }
        return first
    }

    enum AttachError: Error, CustomStringConvertible {
        case unknownSession(String)
        case store(String)

        var description: String {
            switch self {
            case .unknownSession(let id): "no session \(id)"
            case .store(let message): "cannot read the session's history: \(message)"
            }
        }
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
        var seq = event.seq
        if let hidden = hiddenSessions[id] {
            // Acknowledged at the end of this loop turn, with the others: stored by then, or never stored.
            heldAcks[id] = max(heldAcks[id] ?? 0, event.seq)
            guard event.channel == "claude:auth" else {
                hidden.onEvent(event)
                return scheduleDelivery()
            }
            seq = hidden.storedSeq + 1
            hiddenSessions[id]?.storedSeq = seq
        }
        let ts = WallClock.milliseconds()
        records[id]?.updatedAt = ts
        let stored = StoredEvent(runId: id, seq: seq, channel: event.channel, payload: Self.payload(event.body).text, ts: ts,
                                 workerSeq: event.workerSeq)
        recorder.record(stored)
        onEventRecorded(stored)
        undelivered.append(stored)
        scheduleDelivery()
    }

    /// Viewers see an event only once it is stored, so a gateway crash never loses what a client saw.
    /// Delivery waits for the end of this loop turn: everything the workers sent in it is one transaction.
    private func scheduleDelivery() {
        if deliveryTimer == nil {
            deliveryTimer = loop.schedule(after: .zero) { [unowned self] in
                deliveryTimer = nil
                delivering = true
                recorder.flush()
                delivering = false
                let events = undelivered
                undelivered = []
                for event in events { deliver(event) }
                for (runId, seq) in heldAcks { supervisor.stored(runId, through: seq) }
                heldAcks = [:]
            }
        }
    }

    private func deliver(_ stored: StoredEvent) {
        let id = stored.runId
        guard let list = viewers[id] else { return }
        let message = Self.message(stored)
        let size = message.utf8.count
        for viewer in list where stored.seq > viewer.lastSentSeq {
            viewer.client.sendRaw(message)
            viewer.sent(seq: stored.seq, size: size)
        }
        evaluate(id)
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
