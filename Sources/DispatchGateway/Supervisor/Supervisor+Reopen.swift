/// Reopening an ended session under its id: a new program (a new spec), the same event stream.
extension Supervisor {
    /// Starts a stopped or failed session again with `spec`, its events continuing after its last seq.
    /// A worker still winding down (its program ended, its last frames being acknowledged) is ended first.
    public func reopen(_ id: String, _ spec: SessionSpec, adapter: (any SessionAdapter)?) throws(SupervisorError) -> SessionInfo {
        guard !isShuttingDown else { throw .shuttingDown }
        let session = try existing(id)
        guard session.status == .stopped || session.status == .error, session.restartTimer == nil else { throw .stillRunning(id) }
        let live = sessions.values.filter { $0.status == .starting || $0.status == .running }.count
        guard live < settings.maxSessions else { throw .tooManySessions(limit: settings.maxSessions) }
        try TerminalSize.validate(cols: Int(spec.cols), rows: Int(spec.rows))
        session.spec = spec
        session.adapter = adapter
        session.cols = spec.cols
        session.rows = spec.rows
        session.closing = false
        session.pendingInput = []
        session.restartPolicy.reset()
        if let worker = session.worker {
            session.reopenWhenWorkerEnds = true
            worker.kill()
        } else {
            do {
                try spawnWorker(for: session)
            } catch {
                throw .spawnFailed(error.description)
            }
        }
        session.status = .starting
        session.detail = nil
        onSessionChanged(session.info)
        return session.info
    }
}
