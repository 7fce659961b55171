/// When the WAL should be checkpointed. Once it holds `threshold` frames (SQLite's own automatic
/// threshold), in the first moment without commits for `quiet`, so that the copy and its fsyncs do not
/// slow the output or the echo in progress: while someone types, that is the pause between two keys.
/// Output that never pauses gets one regardless at `limit` frames, which bounds the WAL's size.
struct CheckpointPolicy {
    enum Decision: Equatable {
        case none
        case checkpointNow
        /// Call `check` at this instant.
        case checkAt(ContinuousClock.Instant)
    }

    var threshold = 1000
    var limit = 4000
    var quiet: Duration = .milliseconds(20)
    private var lastCommit: ContinuousClock.Instant?
    private var checkScheduled = false

    /// A commit left `frames` frames in the WAL.
    mutating func committed(frames: Int, at now: ContinuousClock.Instant) -> Decision {
        lastCommit = now
        if frames >= limit { return .checkpointNow }
        guard frames >= threshold, !checkScheduled else { return .none }
        checkScheduled = true
        return .checkAt(now + quiet)
    }

    /// The check asked for: checkpoint if nothing was committed for `quiet`, else look again later.
    mutating func check(at now: ContinuousClock.Instant) -> Decision {
        guard checkScheduled, let lastCommit else { return .none }
        if now - lastCommit >= quiet {
            checkScheduled = false
            return .checkpointNow
        }
        return .checkAt(lastCommit + quiet)
    }
}
