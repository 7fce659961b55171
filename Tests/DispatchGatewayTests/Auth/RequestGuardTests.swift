import XCTest
@testable import DispatchGateway

final class RequestGuardTests: XCTestCase {
    let loopback = RequestGuard(port: 3030, allowedOrigins: [], allowedHosts: [], loopbackBound: true)
    let public_ = RequestGuard(port: 3030, allowedOrigins: ["https://dispatch.example.com"],
                               allowedHosts: ["dispatch.example.com", "10.0.0.5"], loopbackBound: false)

    // MARK: Host

    func testLoopbackHosts() {
        for host in ["localhost", "localhost:3030", "LOCALHOST:3030", "127.0.0.1", "127.0.0.1:3030", "[::1]", "[::1]:3030",
                     "192.168.1.20:3030", "10.0.0.1", "[fe80::1]:3030", "[::ffff:127.0.0.1]:3030", "localhost:8443"] {
            XCTAssertTrue(loopback.hostAllowed(host), host)
        }
    }

    func testForeignAndMalformedHosts() {
        for host in [nil, "", "evil.com", "evil.com:3030", "localhost.evil.com", "localhost.evil.com:3030",
                     "127.0.0.1.nip.io", "127.0.0.1.nip.io:3030", "evil-localhost", "localhost:", "localhost:abc",
                     "localhost:99999", "localhost:0", "localhost:03030", "localhost:3030:3030", "user@localhost", "localhost/", "localhost ",
                     " localhost", "[::1", "::1", "[evil.com]", "[::1]x", "256.0.0.1", "127.0.0.01", "127.1", "0x7f.0.0.1",
                     "1.2.3.4.5", "loca\u{212A}host", "localhost."] as [String?] {
            XCTAssertFalse(loopback.hostAllowed(host), host ?? "nil")
        }
    }

    func testConfiguredHostsWithoutLoopback() {
        XCTAssertTrue(public_.hostAllowed("dispatch.example.com"))
        XCTAssertTrue(public_.hostAllowed("Dispatch.Example.COM:443"))
        XCTAssertTrue(public_.hostAllowed("10.0.0.5:3030"))
        for host in ["localhost", "localhost:3030", "127.0.0.1:3030", "[::1]:3030", "10.0.0.6", "dispatch.example.com.evil.com",
                     "evil.dispatch.example.com", "dispatch.example.co"] {
            XCTAssertFalse(public_.hostAllowed(host), host)
        }
    }

    func testConfiguredIPv6HostWithOrWithoutBrackets() {
        let guard1 = RequestGuard(port: 3030, allowedOrigins: [], allowedHosts: ["fd00::5", "[FD00::6]"], loopbackBound: false)
        XCTAssertTrue(guard1.hostAllowed("[fd00::5]:3030"))
        XCTAssertTrue(guard1.hostAllowed("[fd00::6]"))
        XCTAssertFalse(guard1.hostAllowed("[fd00::7]"))
    }

    // MARK: Origin, configured list

    func testExactOriginMatch() {
        let g = RequestGuard(port: 3030, allowedOrigins: ["http://localhost:3030"], allowedHosts: [], loopbackBound: true)
        XCTAssertTrue(g.originAllowed("http://localhost:3030", host: "localhost:3030"))
        XCTAssertTrue(g.originAllowed("HTTP://LocalHost:3030", host: "localhost:3030"))
        let refused: [String?] = [
            nil, "", "null", "http://localhost:3031", "https://localhost:3030", "http://localhost", "ws://localhost:3030",
            "http://localhost:3030/", "http://localhost:3030/path", "http://localhost:3030.evil.com",
            "http://evil-localhost:3030", "http://localhost.evil.com:3030", "http://evil.com/http://localhost:3030",
            "http://user@localhost:3030", "http://127.0.0.1:3030", "http://[::1]:3030", " http://localhost:3030",
            "http://localhost:3030 ", "http://localhost:3030?x", "http://localhost:3030#x", "http://localhost:03030", "http://localhost:03030x",
            "localhost:3030", "//localhost:3030", "http://loca\u{212A}host:3030",
        ]
        for origin in refused {
            XCTAssertFalse(g.originAllowed(origin, host: "localhost:3030"), origin ?? "nil")
        }
    }

    func testDefaultPortsNormalisedAway() {
        let g = RequestGuard(port: 3030, allowedOrigins: ["https://Dispatch.Example.com:443", "http://other.example:80"],
                             allowedHosts: [], loopbackBound: false)
        XCTAssertTrue(g.originAllowed("https://dispatch.example.com", host: "dispatch.example.com"))
        XCTAssertTrue(g.originAllowed("https://dispatch.example.com:443", host: nil))
        XCTAssertTrue(g.originAllowed("http://other.example", host: nil))
        XCTAssertFalse(g.originAllowed("http://dispatch.example.com", host: nil))
        XCTAssertFalse(g.originAllowed("https://dispatch.example.com:8443", host: nil))
        XCTAssertFalse(g.originAllowed("https://other.example:80", host: nil))
    }

    func testMalformedConfiguredOriginMatchesNothing() {
        let g = RequestGuard(port: 3030, allowedOrigins: ["http://localhost:3030/"], allowedHosts: [], loopbackBound: true)
        XCTAssertFalse(g.originAllowed("http://localhost:3030/", host: "localhost:3030"))
        // Not the derived mode either: an origin list was configured.
        XCTAssertFalse(g.originAllowed("http://localhost:3030", host: "localhost:3030"))
    }

    // MARK: Origin, derived from Host

    func testDerivedFromHost() {
        XCTAssertTrue(loopback.originAllowed("http://localhost:3030", host: "localhost:3030"))
        XCTAssertTrue(loopback.originAllowed("https://localhost:3030", host: "localhost:3030"))
        XCTAssertTrue(loopback.originAllowed("http://127.0.0.1:3030", host: "127.0.0.1:3030"))
        XCTAssertTrue(loopback.originAllowed("http://[::1]:3030", host: "[::1]:3030"))
        // A port forward: the browser's port is the one in Host.
        XCTAssertTrue(loopback.originAllowed("http://localhost:8080", host: "localhost:8080"))
        // Host without a port: the browser was on the scheme's default port.
        XCTAssertTrue(loopback.originAllowed("http://localhost", host: "localhost"))
        XCTAssertTrue(loopback.originAllowed("https://localhost", host: "localhost"))

        let refused: [(String?, String?)] = [
            ("http://localhost:3030", nil),
            (nil, "localhost:3030"),
            ("null", "localhost:3030"),
            ("http://evil.com:3030", "localhost:3030"),
            ("http://localhost:3030", "evil.com:3030"),
            ("http://evil.com:3030", "evil.com:3030"),
            ("http://localhost:3030.evil.com", "localhost:3030"),
            ("http://evil-localhost:3030", "localhost:3030"),
            ("http://localhost:3030/", "localhost:3030"),
            ("http://localhost:9999", "localhost:3030"),
            ("http://127.0.0.1:3030", "localhost:3030"),
            ("http://localhost", "localhost:3030"),
        ]
        for (origin, host) in refused {
            XCTAssertFalse(loopback.originAllowed(origin, host: host), "\(origin ?? "nil") / \(host ?? "nil")")
        }
    }

    func testDerivedOmitsDefaultPorts() {
        let on443 = RequestGuard(port: 443, allowedOrigins: [], allowedHosts: ["dispatch.example.com"], loopbackBound: false)
        XCTAssertTrue(on443.originAllowed("https://dispatch.example.com", host: "dispatch.example.com"))
        XCTAssertTrue(on443.originAllowed("https://dispatch.example.com", host: "dispatch.example.com:443"))
        XCTAssertFalse(on443.originAllowed("https://evil.example.com", host: "dispatch.example.com"))
        XCTAssertFalse(on443.originAllowed("https://dispatch.example.com", host: "localhost"))
        let on80 = RequestGuard(port: 80, allowedOrigins: [], allowedHosts: ["dispatch.example.com"], loopbackBound: false)
        XCTAssertTrue(on80.originAllowed("http://dispatch.example.com", host: "dispatch.example.com:80"))
        XCTAssertTrue(on80.originAllowed("HTTP://DISPATCH.EXAMPLE.COM:80", host: "dispatch.example.com"))
    }

    func testUpperCaseNormalised() {
        XCTAssertTrue(public_.originAllowed("HTTPS://DISPATCH.EXAMPLE.COM", host: "dispatch.example.com"))
        XCTAssertTrue(loopback.originAllowed("HTTP://LOCALHOST:3030", host: "LocalHost:3030"))
    }
}
