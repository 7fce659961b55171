import DispatchPosix
import Glibc

/// A session an earlier gateway left starting or running, as the store knows it.
struct AdoptionCandidate {
    var id: String
    /// What a restart runs, should the worker not come back.
    var spec: SessionSpec
    /// Turns the worker's output into events, for kinds that need it (Claude).
    var adapter: (any SessionAdapter)?
    /// The last stored event seq: numbering goes on after it.
    var lastSeq: UInt64
    /// The last worker seq whose event is stored: the worker resends what follows.
    var workerSeq: UInt64
    var restarts: Int

    init(id: String, spec: SessionSpec, adapter: (any SessionAdapter)?, lastSeq: UInt64, workerSeq: UInt64, restarts: Int) {
        self.id = id
        self.spec = spec
        self.adapter = adapter
        self.lastSeq = lastSeq
        self.workerSeq = workerSeq
        self.restarts = restarts
    }
}

/// Gateway restarts that keep sessions: letting workers go on without us, and taking them back.
extension Supervisor {
    /// At start, before serving. Each candidate with a recorded worker identity waits (status starting)
    /// for that worker to reconnect and prove itself: session id, secret, and the recorded pid as the
    /// socket's peer. A worker that is gone, or not back within `adoptionTimeout`, is a dead worker:
    /// the session is restarted in its workspace by the usual rules. Returns the ids taken on; the
    /// identities of any other sessions are forgotten.
    func adopt(_ candidates: [AdoptionCandidate]) -> [String] {
        var adopted: [String] = []
        for candidate in candidates where sessions[candidate.id] == nil {
            guard let identity = identities.read(candidate.id) else { continue }
            let session = SupervisedSession(id: candidate.id, spec: candidate.spec, adapter: candidate.adapter, restart: settings.restart,
                                            lastSeq: candidate.lastSeq, restarts: candidate.restarts)
            sessions[session.id] = session
            order.append(session.id)
            adopted.append(session.id)
            if let worker = awaitWorker(identity, of: session, stored: candidate.workerSeq) {
                session.worker = worker
                session.detail = "waiting for its worker to reconnect"
                onSessionChanged(session.info)
            } else {
                Log.warn("the session's worker did not outlive the gateway", [("session", session.id), ("pid", "\(identity.pid)")])
                workerDied(session, why: "the worker did not outlive the gateway")
            }
        }
        for id in identities.sessionIds() where sessions[id] == nil { identities.remove(id) }
        return adopted
    }

    /// Restart keeping sessions: stops listening, and lets every worker go on without a word (each keeps
    /// its program and output and waits for the next gateway). The caller stores what it holds and exits.
    public func releaseWorkers() {
        guard !isShuttingDown else { return }
        shutdownCompletion = {}
        stopListening()
        for session in sessions.values {
            if let timer = session.restartTimer { loop.cancel(timer) }
            session.restartTimer = nil
            session.worker?.release()
        }
        Log.info("workers released for the next gateway", [("sessions", "\(sessions.values.filter { $0.worker != nil }.count)")])
    }

    private func awaitWorker(_ identity: WorkerIdentity, of session: SupervisedSession, stored: UInt64) -> WorkerProcess? {
        // The recorded pid may belong to another process by now: only one whose command line names
        // this session is taken for its worker (the secret is then the real test).
        guard let commandLine = Processes.commandLine(of: identity.pid),
              zip(commandLine, commandLine.dropFirst()).contains(where: { $0 == "--session" && $1 == session.id })
        else { return nil }
        let worker: WorkerProcess
        do {
            worker = try WorkerProcess(adopting: identity, stored: stored, loop: loop) { [unowned self, unowned session] status in
                workerExited(session, status)
            }
        } catch {
            return nil
        }
        worker.spawnedSize = (session.cols, session.rows)
        worker.expectHello(within: settings.adoptionTimeout) { [unowned session] in
            Log.warn("the adopted worker did not reconnect in time; killing it", [("session", session.id), ("pid", "\(identity.pid)")])
            session.worker?.kill()
        }
        session.restartPolicy.started(at: worker.startedAt)
        return worker
    }
}
