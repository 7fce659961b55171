// swift-tools-version:6.0
import PackageDescription

// Dependency direction, bottom to top:
//   CDispatchSys       C: syscalls Swift cannot express (epoll, pidfd, posix_spawn extras, ptys)
//   DispatchPosix      fds, the epoll loop, sockets, pty spawn, reaping; Glibc only  (uses CDispatchSys)
//   DispatchWire       the gateway<->worker frame codec; pure, stdlib only, no I/O
//   DispatchHTTP       HTTP/1.1 parsing, WebSocket framing, SHA-1/SHA-256/Base64; pure, stdlib only, no I/O
//   DispatchTransport  a framed non-blocking connection on the loop  (Wire + Posix)
//   DispatchWorker     one session's program and its link to the gateway  (Transport)
//   DispatchStore      SQLite (CSQLite system library): migrations, events, sessions, pruning
//   DispatchGateway    the supervisor, auth, persistence, and the HTTP/WebSocket front  (Transport + HTTP + Store)
//   dispatch-worker, dispatch-gateway: thin main.swift files; dispatch-bench: the benchmarks
// The worker side never imports Foundation: every idle worker's footprint counts.
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Dispatch",
    products: [
        .executable(name: "dispatch-gateway", targets: ["dispatch-gateway"]),
        .executable(name: "dispatch-worker", targets: ["dispatch-worker"]),
    ],
    targets: [
        .target(name: "CDispatchSys"),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "DispatchStore", dependencies: ["CSQLite"], swiftSettings: strict),
        .target(name: "DispatchWire", swiftSettings: strict),
        .target(name: "DispatchPosix", dependencies: ["CDispatchSys"], swiftSettings: strict),
        .target(name: "DispatchTransport", dependencies: ["DispatchWire", "DispatchPosix"], swiftSettings: strict),
        .target(name: "DispatchWorker", dependencies: ["DispatchTransport"], swiftSettings: strict),
        .target(name: "DispatchHTTP", swiftSettings: strict),
        .target(name: "DispatchGateway", dependencies: ["DispatchTransport", "DispatchHTTP", "DispatchStore"], swiftSettings: strict),
        .executableTarget(name: "dispatch-worker", dependencies: ["DispatchWorker"], swiftSettings: strict),
        .executableTarget(name: "dispatch-gateway", dependencies: ["DispatchGateway"], swiftSettings: strict),
        .executableTarget(name: "dispatch-bench", dependencies: ["DispatchGateway"], swiftSettings: strict),
        .target(name: "DispatchTestSupport", path: "Tests/DispatchTestSupport", swiftSettings: strict),
        .testTarget(name: "DispatchWireTests", dependencies: ["DispatchWire", "DispatchTestSupport"], swiftSettings: strict),
        .testTarget(name: "DispatchHTTPTests", dependencies: ["DispatchHTTP", "DispatchTestSupport"], swiftSettings: strict),
        .testTarget(name: "DispatchStoreTests", dependencies: ["DispatchStore"], swiftSettings: strict),
        .testTarget(name: "DispatchWorkerTests", dependencies: ["DispatchWorker", "dispatch-worker", "DispatchTestSupport"], swiftSettings: strict),
        .testTarget(name: "DispatchGatewayTests", dependencies: ["DispatchGateway", "dispatch-worker", "DispatchTestSupport"], exclude: ["Fixtures"], swiftSettings: strict),
    ]
)
