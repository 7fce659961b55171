import DispatchPosix

/// One fd's epoll registration kept to exactly the events wanted. With none wanted the fd leaves
/// epoll altogether: a hung-up pipe reports EPOLLHUP whatever is asked, which would spin the loop.
final class WatchedDescriptor {
    let descriptor: FileDescriptor
    var handler: (IOEvents) -> Void = { _ in }
    private let loop: EventLoop
    private var registration: EventLoop.Registration?
    private var interest: IOEvents = []

    init(_ descriptor: FileDescriptor, loop: EventLoop) {
        self.descriptor = descriptor
        self.loop = loop
    }

    deinit { want([]) }

    func want(_ wanted: IOEvents) {
        guard wanted != interest else { return }
        interest = wanted
        if wanted.isEmpty {
            if let registration { loop.deregister(registration, fd: descriptor.raw) }
            registration = nil
        } else if let registration {
            loop.update(registration, fd: descriptor.raw, interest: wanted)
        } else {
            registration = try? loop.register(descriptor.raw, for: wanted) { [unowned self] in handler($0) }
        }
    }
}
