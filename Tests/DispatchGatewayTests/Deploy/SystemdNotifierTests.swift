import DispatchPosix
import Foundation
import Glibc
import XCTest

/// The notifier against a real datagram socket, the way systemd listens: file-system and abstract
/// names, and descriptors passed with SCM_RIGHTS.
final class SystemdNotifierTests: XCTestCase {
    func testNoSocketNoNotifier() {
        XCTAssertNil(SystemdNotifier(environment: [:]))
        XCTAssertNil(SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]))
        XCTAssertNil(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/path"]))
        XCTAssertNil(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@"]))
    }

    func testWatchdogIntervalIsHalfOfTheTimeoutForUsOnly() {
        XCTAssertEqual(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]), .seconds(15))
        XCTAssertEqual(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "200000", "WATCHDOG_PID": "\(getpid())"]), .milliseconds(100))
        XCTAssertNil(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "200000", "WATCHDOG_PID": "\(getpid() + 1)"]))
        XCTAssertNil(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "soon"]))
        XCTAssertNil(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "0"]))
        XCTAssertNil(SystemdNotifier.watchdogInterval(environment: [:]))
    }

    func testAStateReachesAFileSystemSocket() throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let receiver = try DatagramReceiver(name: folder + "/notify")
        let notifier = try XCTUnwrap(SystemdNotifier(environment: ["NOTIFY_SOCKET": folder + "/notify"]))
        XCTAssertTrue(notifier.notify("READY=1\nSTATUS=serving"))
        XCTAssertEqual(try receiver.receive().text, "READY=1\nSTATUS=serving")
    }

    func testAStateReachesAnAbstractSocket() throws {
        let name = "@dispatch-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let receiver = try DatagramReceiver(name: name)
        let notifier = try XCTUnwrap(SystemdNotifier(environment: ["NOTIFY_SOCKET": name]))
        XCTAssertTrue(notifier.notify("WATCHDOG=1"))
        XCTAssertEqual(try receiver.receive().text, "WATCHDOG=1")
    }

    func testDescriptorsTravelWithTheState() throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let receiver = try DatagramReceiver(name: folder + "/notify")
        let notifier = try XCTUnwrap(SystemdNotifier(environment: ["NOTIFY_SOCKET": folder + "/notify"]))
        let pipe = try FileDescriptor.pipe()
        XCTAssertTrue(notifier.notify("FDSTORE=1\nFDNAME=lifeline", descriptors: [pipe.read.raw]))
        let (text, fds) = try receiver.receive()
        XCTAssertEqual(text, "FDSTORE=1\nFDNAME=lifeline")
        XCTAssertEqual(fds.count, 1)
        // The received descriptor is the same pipe: closing our write end hangs it up.
        let received = FileDescriptor(adopting: try XCTUnwrap(fds.first))
        _ = try Array("x".utf8).withUnsafeBytes { try pipe.write.write($0) }
        pipe.write.close()
        var buffer = [UInt8](repeating: 0, count: 4)
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try received.read(into: $0) }, 1)
        XCTAssertEqual(try buffer.withUnsafeMutableBytes { try received.read(into: $0) }, 0)
    }

    func testNobodyListeningIsFalseNotACrash() throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let notifier = try XCTUnwrap(SystemdNotifier(environment: ["NOTIFY_SOCKET": folder + "/nobody"]))
        XCTAssertFalse(notifier.notify("READY=1"))
        let long = try XCTUnwrap(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)]))
        XCTAssertFalse(long.notify("READY=1"), "a name longer than sun_path")
    }
}

/// A bound AF_UNIX datagram socket that receives one message and its SCM_RIGHTS descriptors.
private final class DatagramReceiver {
    let fd: Int32

    init(name: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
            if abstract { path[0] = 0 }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard fd >= 0, rc == 0 else { throw SystemError("bind \(name)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func receive() throws -> (text: String, fds: [Int32]) {
        var data = [UInt8](repeating: 0, count: 4096)
        // cmsghdr on 64-bit Linux: size_t len, int level, int type, then the payload.
        var control = [UInt8](repeating: 0, count: 256)
        let count = data.withUnsafeMutableBytes { dataBuffer in
            control.withUnsafeMutableBytes { controlBuffer in
                var vector = iovec(iov_base: dataBuffer.baseAddress, iov_len: dataBuffer.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBuffer.baseAddress
                    message.msg_controllen = controlBuffer.count
                    let n = recvmsg(fd, &message, Int32(MSG_CMSG_CLOEXEC))
                    return (n, message.msg_controllen)
                }
            }
        }
        guard count.0 >= 0 else { throw SystemError("recvmsg") }
        var fds: [Int32] = []
        if count.1 >= 16 {
            let length = control.withUnsafeBytes { $0.load(fromByteOffset: 0, as: Int.self) }
            let level = control.withUnsafeBytes { $0.load(fromByteOffset: 8, as: Int32.self) }
            let type = control.withUnsafeBytes { $0.load(fromByteOffset: 12, as: Int32.self) }
            if level == SOL_SOCKET, type == Int32(SCM_RIGHTS) {
                for index in 0..<((length - 16) / 4) {
                    fds.append(control.withUnsafeBytes { $0.load(fromByteOffset: 16 + index * 4, as: Int32.self) })
                }
            }
        }
        return (String(decoding: data[0..<count.0], as: UTF8.self), fds)
    }
}
