/// Kind-specific handling of a session whose program speaks a protocol (Claude's stream-json CLI):
/// what each new worker runs, and how the worker's raw output becomes session events. The supervisor
/// numbers whatever it returns like every other event. Loop-confined.
public protocol SessionAdapter: AnyObject {
    /// A worker is about to start (first start or restart): the command it runs, and events that
    /// close what the previous one left open.
    func workerStarting() -> (command: [String], events: [SessionEvent.Body])
    /// Output bytes of the program, in order; zero or more events.
    func output(_ bytes: [UInt8]) -> [SessionEvent.Body]
    /// A kind-specific event of the worker (e.g. the program's stderr).
    func event(channel: String, payload: [UInt8]) -> [SessionEvent.Body]
    /// The program ended: whatever is still held (a last line without a newline) comes out.
    func programEnded() -> [SessionEvent.Body]
}
