import Foundation
import Glibc
import XCTest

/// The dispatch-gateway executable as users and init systems run it.
final class GatewayProcessTests: XCTestCase {
    private var gatewayBinary: String { SupervisorHarness.builtProducts + "/dispatch-gateway" }

    func testVersionAndHelp() throws {
        XCTAssertTrue(try run([gatewayBinary, "--version"]).hasPrefix("dispatch-gateway "))
        XCTAssertTrue(try run([gatewayBinary, "--help"]).contains("usage: dispatch-gateway"))
        XCTAssertTrue(try run([SupervisorHarness.workerBinary, "--version"]).hasPrefix("dispatch-worker "))
    }

    func testSigtermIsAGracefulShutdownWithExitZero() throws {
        let home = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let gateway = try start([gatewayBinary], home: home)
        try waitForFile(home + "/run/workers.sock")
        XCTAssertEqual(mode(of: home + "/run"), 0o700, "the runtime folder is private")
        kill(gateway.processIdentifier, SIGTERM)
        gateway.waitUntilExit()
        XCTAssertEqual(gateway.terminationReason, .exit)
        XCTAssertEqual(gateway.terminationStatus, 0)
    }

    func testAsPidOneInAFreshPidNamespaceItExitsZeroOnSigterm() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            throw XCTSkip("needs root and unshare to make a PID namespace")
        }
        let home = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let unshare = try start(["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", gatewayBinary], home: home)
        try waitForFile(home + "/run/workers.sock")
        let children = try String(contentsOfFile: "/proc/\(unshare.processIdentifier)/task/\(unshare.processIdentifier)/children", encoding: .utf8)
        let gateway = try XCTUnwrap(Int32(children.split(separator: " ").first ?? ""))
        let status = try String(contentsOfFile: "/proc/\(gateway)/status", encoding: .utf8)
        XCTAssertTrue(status.contains("NSpid:\t\(gateway)\t1"), "the gateway is PID 1 in its namespace")
        // The kernel drops signals to a PID 1 that has no handler for them: exit 0 proves the handling.
        kill(gateway, SIGTERM)
        unshare.waitUntilExit()
        XCTAssertEqual(unshare.terminationStatus, 0)
    }

    // MARK: helpers

    private func start(_ arguments: [String], home: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = ["DISPATCH_HOME": home, "PATH": "/usr/bin:/bin", "HOME": home]
        try process.run()
        return process
    }

    private func run(_ arguments: [String], home: String = NSTemporaryDirectory()) throws -> String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = ["DISPATCH_HOME": home, "PATH": "/usr/bin:/bin", "HOME": home]
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    private func waitForFile(_ path: String) throws {
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: path) {
            guard Date() < deadline else { throw XCTSkip("gateway did not create \(path)") }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    private func mode(of path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? 0
    }
}
