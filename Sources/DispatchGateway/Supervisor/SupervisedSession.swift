import DispatchPosix
import DispatchWire

/// A session's state in the supervisor: what it runs, where it is in its life, its event counter,
/// its restart history, and its current worker. Loop-confined; the supervisor drives it.
final class SupervisedSession {
    let id: String
    /// What the session runs; replaced when a user reopens it.
    var spec: SessionSpec
    /// For kinds whose program speaks a protocol: commands per worker, output into events.
    var adapter: (any SessionAdapter)?
    /// Reopened while its last worker was still winding down: start a new one once it is gone.
    var reopenWhenWorkerEnds = false
    var cols: UInt16
    var rows: UInt16
    var status: SessionStatus = .starting
    var detail: String?
    var restartPolicy: RestartPolicy
    var worker: WorkerProcess?
    var restartTimer: EventLoop.Timer?
    /// A user or a shutdown asked the session to end: its worker's death is not a crash.
    var closing = false
    /// While set, the supervisor withholds acknowledgements, so the worker stops reading its program.
    var paused = false
    private(set) var lastSeq: UInt64 = 0
    /// Typed before the worker was ready; delivered when it says hello.
    var pendingInput: [UInt8] = []
    static let maxPendingInput = 64 * 1024

    init(id: String, spec: SessionSpec, adapter: (any SessionAdapter)?, restart: RestartPolicy.Settings, lastSeq: UInt64 = 0) {
        self.id = id
        self.adapter = adapter
        self.lastSeq = lastSeq
        self.spec = spec
        self.cols = spec.cols
        self.rows = spec.rows
        self.restartPolicy = RestartPolicy(settings: restart)
    }

    func nextEvent(_ body: SessionEvent.Body) -> SessionEvent {
        lastSeq += 1
        return SessionEvent(seq: lastSeq, body: body)
    }

    var info: SessionInfo {
        SessionInfo(id: id, kind: spec.kind, status: status, directory: spec.directory,
                    restarts: restartPolicy.totalRestarts, lastSeq: lastSeq,
                    workerPid: worker?.pid, programPid: worker.flatMap { $0.programPid > 0 ? $0.programPid : nil },
                    detail: detail)
    }
}
