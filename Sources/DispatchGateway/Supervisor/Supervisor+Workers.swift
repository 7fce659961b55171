import DispatchPosix
import DispatchTransport
import DispatchWire
import Glibc

/// Worker lives: spawn, identify, watch, classify the death, restart.
extension Supervisor {
    func spawnWorker(for session: SupervisedSession) throws(SystemError) {
        var arguments = ["--session", session.id, "--kind", session.spec.kind.rawValue,
                         "--cwd", session.spec.directory, "--cols", "\(session.cols)", "--rows", "\(session.rows)",
                         "--socket", settings.socketPath, "--orphan-timeout", "\(settings.orphanTimeoutSeconds)",
                         "--log-format", Log.format.rawValue,
                         "--log-level", Log.minimumLevel.name]
        if settings.lifeline != nil { arguments += ["--lifeline", "\(Spawn.inheritedFD)"] }
        var command = session.spec.command
        if let adapter = session.adapter {
            let starting = adapter.workerStarting()
            command = starting.command
            for body in starting.events { emit(session, body) }
        }
        if !command.isEmpty { arguments += ["--"] + command }
        // The worker starts in "/" so that a missing workspace folder is the worker's to report,
        // as a fatal session error, rather than a spawn failure here.
        let worker = try WorkerProcess(executable: settings.workerExecutable, arguments: arguments,
                                       environment: session.spec.environment, privateEnvironment: session.spec.privateEnvironment,
                                       directory: "/", lifeline: settings.lifeline, loop: loop) { [unowned self, unowned session] status in
            workerExited(session, status)
        }
        worker.expectHello(within: settings.helloTimeout) { [unowned session] in
            Log.warn("worker never said hello; killing it", [("session", session.id), ("pid", "\(worker.pid)")])
            session.worker?.kill()
        }
        worker.spawnedSize = (session.cols, session.rows)
        session.worker = worker
        session.restartPolicy.started(at: worker.startedAt)
        Log.info("worker started", [("session", session.id), ("pid", "\(worker.pid)")])
        do {
            try identities.write(WorkerIdentity(sessionId: session.id, pid: worker.pid, secret: worker.secret))
        } catch {
            Log.warn("cannot record the worker's identity; a restarted gateway will not adopt it",
                     [("session", session.id), ("error", error.description)])
        }
    }

    func acceptWorkers() {
        while let socket = try? UnixSocket.accept(from: listener) {
            // Only our own user can reach the socket (its folder is 0700), but say so explicitly.
            guard let peer = try? UnixSocket.peer(of: socket), peer.uid == getuid() else {
                Log.warn("refused a worker connection from another user")
                continue
            }
            let link = FramedConnection(socket: socket, loop: loop)
            let key = ObjectIdentifier(link)
            link.onMessage = { [unowned self, unowned link] message in identify(link, peerPid: peer.pid, message) }
            link.onEnd = { [unowned self] (ending: FramedConnection.Ending) in
                unidentified[key] = nil
                Log.warn("unidentified worker connection ended", [("reason", "\(ending)")])
            }
            guard (try? link.start()) != nil else { continue }
            unidentified[key] = link
            loop.schedule(after: settings.helloTimeout) { [weak self, weak link] in
                guard let link, self?.unidentified.removeValue(forKey: ObjectIdentifier(link)) != nil else { return }
                Log.warn("worker connection sent no hello in time", [("pid", "\(peer.pid)")])
                link.close()
            }
        }
    }

    /// The first frame must be a hello from the worker we spawned for that session, with its secret.
    private func identify(_ link: FramedConnection, peerPid: pid_t, _ message: WireMessage) {
        unidentified[ObjectIdentifier(link)] = nil
        guard case .hello(let hello) = message else {
            return refuse(link, "expected hello, got \(message.name)")
        }
        guard hello.version == WireLimits.protocolVersion else {
            return refuse(link, "unsupported protocol version \(hello.version)")
        }
        guard let session = sessions[hello.sessionId], let worker = session.worker, worker.link == nil,
              worker.pid == peerPid, Secrets.constantTimeEqual(hello.secret, worker.secret)
        else {
            return refuse(link, "unknown session or bad secret")
        }
        // An adopted worker must still hold everything after what the store has (it was only acknowledged that far).
        guard hello.lastSeq >= worker.lastReceived else {
            return refuse(link, "the worker's last seq \(hello.lastSeq) is behind the stored \(worker.lastReceived)")
        }
        worker.programPid = hello.programPid
        link.onMessage = { [unowned self, unowned session] in received($0, from: session) }
        link.onReadBatchEnd = { [unowned self, unowned session] in acknowledge(session) }
        link.onEnd = { [unowned self, unowned session, unowned worker] ending in
            linkEnded(session, worker, ending)
        }
        worker.attach(link, heartbeat: HeartbeatMonitor(interval: settings.heartbeatInterval,
                                                        missesAllowed: settings.heartbeatMisses, now: .now)) { [unowned session] in
            Log.error("worker missed its heartbeats; killing it", [("session", session.id)])
            session.worker?.kill()
        }
        link.send(.welcome(Welcome(resumeAfter: worker.lastReceived, window: settings.window)))
        guard hello.programPid > 0 else { return }  // a fatal message follows
        if (session.cols, session.rows) != worker.spawnedSize {
            link.send(.resize(cols: session.cols, rows: session.rows))
        }
        if !session.pendingInput.isEmpty {
            link.send(.input(session.pendingInput))
            session.pendingInput = []
        }
        let restarted = session.restartPolicy.totalRestarts > 0 && !worker.adopted
        session.status = .running
        session.detail = nil
        emit(session, .status(StatusChange(kind: restarted ? .restarted : .started, restarts: session.restartPolicy.totalRestarts,
                                           adopted: worker.adopted)))
        if worker.adopted { Log.info("worker re-adopted", [("session", session.id), ("pid", "\(worker.pid)")]) }
        onSessionChanged(session.info)
    }

    private func refuse(_ link: FramedConnection, _ reason: String) {
        Log.warn("refused a worker connection", [("reason", reason)])
        link.send(.close(reason: reason))
        link.close()
    }

    private func linkEnded(_ session: SupervisedSession, _ worker: WorkerProcess, _ ending: FramedConnection.Ending) {
        guard !worker.reportedEnd else { return }
        // Garbage, an oversized frame, or a vanished connection: the worker cannot be trusted to go on.
        Log.error("worker connection failed; killing the worker", [("session", session.id), ("reason", "\(ending)")])
        worker.kill()
    }

    func acknowledge(_ session: SupervisedSession) {
        guard !session.paused, let worker = session.worker else { return }
        let through = settings.acknowledgeOnlyStored ? worker.lastStored : worker.lastReceived
        guard through > worker.lastAcknowledged else { return }
        worker.lastAcknowledged = through
        worker.link?.send(.ack(seq: through))
    }

    /// `status` is nil for an adopted worker, whose status only its own parent could read.
    func workerExited(_ session: SupervisedSession, _ status: ChildExit?) {
        guard let worker = session.worker else { return }
        session.worker = nil
        Log.info("worker exited", [("session", session.id), ("pid", "\(worker.pid)"), ("status", status.map { "\($0)" } ?? "unknown")])
        defer { finishShutdownIfDone() }
        if session.reopenWhenWorkerEnds {
            session.reopenWhenWorkerEnds = false
            return restart(session)
        }
        if worker.reportedEnd || session.status == .error {
            return onSessionChanged(session.info)
        }
        if session.closing {
            return settle(session, as: .stopped, detail: session.detail ?? "closed")
        }
        let why = switch status {
        case .exited(let code)?: "worker exited with status \(code)"
        case .signaled(let signal)?: "worker killed by signal \(signal)"
        case nil: "the adopted worker ended"
        }
        workerDied(session, why: why)
    }

    /// The worker is gone without its program's exit: restart it, or give the session up.
    func workerDied(_ session: SupervisedSession, why: String) {
        switch session.restartPolicy.died(at: .now) {
        case .restart(let delay, let attempt):
            session.status = .starting
            session.detail = why
            // workerSeq 0: the next worker numbers its output from 1 again.
            emit(session, .status(StatusChange(kind: .crashed, restarts: session.restartPolicy.totalRestarts, detail: why)), workerSeq: 0)
            onSessionChanged(session.info)
            Log.warn("restarting session", [("session", session.id), ("attempt", "\(attempt)"), ("after", "\(delay)")])
            session.restartTimer = loop.schedule(after: delay) { [unowned self, unowned session] in
                session.restartTimer = nil
                restart(session)
            }
        case .giveUp(let count):
            settle(session, as: .error, detail: "\(why); gave up after \(count) restarts in \(settings.restart.window)")
        }
    }

    private func restart(_ session: SupervisedSession) {
        do {
            try spawnWorker(for: session)
            onSessionChanged(session.info)
        } catch {
            settle(session, as: .error, detail: "cannot restart the worker: \(error)")
        }
    }

    /// A final status: emitted once, and the session stays so until a user acts.
    func settle(_ session: SupervisedSession, as status: SessionStatus, detail: String) {
        guard session.status != status || session.detail != detail else { return }
        identities.remove(session.id)
        session.status = status
        session.detail = detail
        let kind: StatusChange.Kind = status == .error ? .error : .stopped
        emit(session, .status(StatusChange(kind: kind, restarts: session.restartPolicy.totalRestarts, detail: detail)))
        onSessionChanged(session.info)
    }
}
