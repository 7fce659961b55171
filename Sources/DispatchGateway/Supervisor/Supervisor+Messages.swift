import DispatchPosix
import DispatchWire

/// What an identified worker sends.
extension Supervisor {
    func received(_ message: WireMessage, from session: SupervisedSession) {
        guard let worker = session.worker, let link = worker.link else { return }
        worker.heartbeat?.heardFrom(now: .now)
        switch message {
        case .output(let seq, let bytes):
            relay(seq, from: worker, session) { session.adapter?.output(bytes) ?? [.output(String(decoding: bytes, as: UTF8.self))] }
        case .event(let seq, let channel, let payload):
            relay(seq, from: worker, session) { session.adapter?.event(channel: channel, payload: payload) ?? [.worker(channel: channel, payload: payload)] }
        case .exit(let seq, let status):
            guard relay(seq, from: worker, session, { (session.adapter?.programEnded() ?? []) + [.exit(status)] }) else { return }
            worker.reportedEnd = true
            let how = switch status {
            case .exited(let code): "program exited with status \(code)"
            case .signaled(let signal): "program killed by signal \(signal)"
            }
            settle(session, as: .stopped, detail: how)
        case .fatal(let reason):
            worker.reportedEnd = true
            Log.error("session cannot run", [("session", session.id), ("reason", reason)])
            settle(session, as: .error, detail: reason)
            link.close()
        case .ping(let nonce):
            link.send(.pong(nonce: nonce))
        case .pong(let nonce):
            worker.heartbeat?.pong(nonce: nonce, now: .now)
        case .close(let reason):
            Log.info("worker is closing", [("session", session.id), ("reason", reason)])
        case .hello, .welcome, .input, .resize, .ack:
            violation(session, worker, "sent \(message.name), which only a gateway sends")
        }
    }

    /// Emits the events worker message `seq` carried (zero or more), remembering which session event
    /// it ended at. `events` runs only for a message not seen before.
    @discardableResult
    private func relay(_ seq: UInt64, from worker: WorkerProcess, _ session: SupervisedSession, _ events: () -> [SessionEvent.Body]) -> Bool {
        guard accept(seq, from: worker, session) else { return false }
        for body in events() { emit(session, body) }
        if settings.acknowledgeOnlyStored { worker.emitted(eventSeq: session.lastSeq, workerSeq: seq) }
        return true
    }

    /// Sequence numbers must continue without a gap; a replay of what we already hold is skipped.
    private func accept(_ seq: UInt64, from worker: WorkerProcess, _ session: SupervisedSession) -> Bool {
        if seq <= worker.lastReceived { return false }
        guard seq == worker.lastReceived + 1 else {
            violation(session, worker, "skipped from seq \(worker.lastReceived) to \(seq)")
            return false
        }
        worker.lastReceived = seq
        return true
    }

    private func violation(_ session: SupervisedSession, _ worker: WorkerProcess, _ what: String) {
        Log.error("worker protocol violation; killing it", [("session", session.id), ("what", what)])
        worker.link?.close()
        worker.kill()
    }
}

extension WireMessage {
    /// For logs: the kind of message, never its contents.
    var name: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .input: "input"
        case .resize: "resize"
        case .output: "output"
        case .event: "event"
        case .exit: "exit"
        case .fatal: "fatal"
        case .ping: "ping"
        case .pong: "pong"
        case .ack: "ack"
        case .close: "close"
        }
    }
}
