import XCTest
@testable import DispatchGateway

final class PublicURLScannerTests: XCTestCase {
    func testLocalTunnelsLineGivesItsURL() {
        var scanner = PublicURLScanner()
        let result = scanner.feed(Array("your url is: https://brave-fox-12.loca.lt\n".utf8))
        XCTAssertEqual(result.url, "https://brave-fox-12.loca.lt")
        XCTAssertEqual(result.lines, ["your url is: https://brave-fox-12.loca.lt"])
    }

    func testAURLSplitAcrossReadsIsFoundOnceTheLineEnds() {
        var scanner = PublicURLScanner()
        XCTAssertNil(scanner.feed(Array("your url is: https://fa".utf8)).url)
        XCTAssertEqual(scanner.feed(Array("ke.example.test/x?y=1\r\nmore".utf8)).url, "https://fake.example.test/x?y=1")
    }

    func testTheMatchSkipsOtherLinks() {
        // cloudflared prints its terms-of-service link before the tunnel's.
        var scanner = PublicURLScanner(match: "trycloudflare.com")
        let output = """
            INF Thank you for trying Cloudflare Tunnel. See https://www.cloudflare.com/website-terms/.
            INF |  https://seven-words-here.trycloudflare.com                                |

            """
        XCTAssertEqual(scanner.feed(Array(output.utf8)).url, "https://seven-words-here.trycloudflare.com")
    }

    func testWithoutAMatchTheFirstURLWins() {
        var scanner = PublicURLScanner()
        XCTAssertEqual(scanner.feed(Array("see (http://a.example.test). or https://b.example.test\n".utf8)).url, "http://a.example.test")
    }

    func testSchemesWithoutAHostAndOtherTextAreNoURL() {
        var scanner = PublicURLScanner()
        XCTAssertNil(scanner.feed(Array("https:// nothing\nhttpx://a.b\nhttp is a protocol\n\u{1B}[32mhttps://\u{1B}[0m\n".utf8)).url)
    }

    func testQuotesAndEscapesEndAURL() {
        var scanner = PublicURLScanner()
        XCTAssertEqual(scanner.feed(Array("{\"url\":\"https://q.example.test\"}\n".utf8)).url, "https://q.example.test")
        XCTAssertEqual(scanner.feed(Array("\u{1B}[1mhttps://e.example.test\u{1B}[0m\n".utf8)).url, "https://e.example.test")
    }

    func testAnEndlessLineIsCutNotKept() {
        var scanner = PublicURLScanner()
        let flood = [UInt8](repeating: UInt8(ascii: "x"), count: 100_000)
        let result = scanner.feed(flood + Array(" https://late.example.test\n".utf8))
        XCTAssertEqual(result.lines.first?.utf8.count, PublicURLScanner.maxLineBytes)
        XCTAssertNil(result.url, "a URL past the line limit is not seen")
        XCTAssertEqual(scanner.feed(Array("https://next.example.test\n".utf8)).url, "https://next.example.test")
    }
}

final class TunnelLaunchTests: XCTestCase {
    func testTheCommandWinsOverLocalTunnel() {
        var settings = TunnelSettings()
        settings.command = "cloudflared tunnel --url http://127.0.0.1:$PORT"
        settings.subdomain = "ignored"
        XCTAssertEqual(TunnelClient.launch(settings, port: 3030, findProgram: { "/usr/bin/\($0)" }),
                       ["/bin/sh", "-c", "cloudflared tunnel --url http://127.0.0.1:$PORT"])
    }

    func testLocalTunnelGetsThePortAndTheSubdomain() {
        var settings = TunnelSettings()
        XCTAssertEqual(TunnelClient.launch(settings, port: 4000, findProgram: { $0 == "lt" ? "/opt/lt" : nil }), ["/opt/lt", "--port", "4000"])
        settings.subdomain = "my-box"
        XCTAssertEqual(TunnelClient.launch(settings, port: 4000, findProgram: { $0 == "lt" ? "/opt/lt" : nil }),
                       ["/opt/lt", "--port", "4000", "--subdomain", "my-box"])
    }

    func testNothingToRunIsNil() {
        XCTAssertNil(TunnelClient.launch(TunnelSettings(), port: 3030, findProgram: { _ in nil }))
    }
}

final class TunnelRestartPolicyTests: XCTestCase {
    let t0 = ContinuousClock.now

    func testATunnelThatKeepsFailingIsRetriedForEverAtMostAMinuteApart() {
        var policy = RestartPolicy(settings: TunnelClient.restartSettings)
        var delays: [Duration] = []
        for i in 0..<200 {
            let start = t0 + .seconds(i * 2)
            policy.started(at: start)
            guard case .restart(let delay, _) = policy.died(at: start + .milliseconds(100)) else {
                return XCTFail("gave up after \(i) failures")
            }
            delays.append(delay)
        }
        XCTAssertEqual(Array(delays.prefix(7)), [1, 2, 4, 8, 16, 32, 60].map { Duration.seconds($0) })
        XCTAssertEqual(delays.last, .seconds(60))
    }

    func testATunnelThatRanAWhileRestartsQuickly() {
        var policy = RestartPolicy(settings: TunnelClient.restartSettings)
        for i in 0..<5 {
            policy.started(at: t0 + .seconds(i))
            _ = policy.died(at: t0 + .seconds(i) + .milliseconds(10))
        }
        policy.started(at: t0 + .seconds(10))
        XCTAssertEqual(policy.died(at: t0 + .seconds(100)), .restart(after: .seconds(1), attempt: 1))
    }
}

final class RequestGuardTunnelTests: XCTestCase {
    func testTheTunnelsHostAndOriginAreLetInWhileItRuns() {
        var requestGuard = RequestGuard(port: 3030, allowedOrigins: [], allowedHosts: [], loopbackBound: true)
        XCTAssertFalse(requestGuard.hostAllowed("brave-fox.loca.lt"))
        XCTAssertTrue(requestGuard.admit(publicURL: "https://Brave-Fox.loca.lt/some/path"))
        XCTAssertTrue(requestGuard.hostAllowed("brave-fox.loca.lt"))
        XCTAssertTrue(requestGuard.originAllowed("https://brave-fox.loca.lt", host: "127.0.0.1:3030"))
        XCTAssertFalse(requestGuard.originAllowed("http://brave-fox.loca.lt", host: "127.0.0.1:3030"), "the scheme counts")
        XCTAssertFalse(requestGuard.hostAllowed("brave-fox.loca.lt.evil.com"))
        XCTAssertTrue(requestGuard.admit(publicURL: "https://other.loca.lt"))
        XCTAssertFalse(requestGuard.hostAllowed("brave-fox.loca.lt"), "a restarted tunnel's old name is out")
        requestGuard.forgetTunnel()
        XCTAssertFalse(requestGuard.hostAllowed("other.loca.lt"))
        XCTAssertFalse(requestGuard.originAllowed("https://other.loca.lt", host: "other.loca.lt"))
    }

    func testConfiguredOriginsStillApplyBesideTheTunnel() {
        var requestGuard = RequestGuard(port: 3030, allowedOrigins: ["https://dispatch.example.com"], allowedHosts: ["dispatch.example.com"], loopbackBound: false)
        XCTAssertTrue(requestGuard.admit(publicURL: "https://x.trycloudflare.com"))
        XCTAssertTrue(requestGuard.originAllowed("https://dispatch.example.com", host: "dispatch.example.com"))
        XCTAssertTrue(requestGuard.originAllowed("https://x.trycloudflare.com", host: "x.trycloudflare.com"))
        XCTAssertFalse(requestGuard.originAllowed("https://y.trycloudflare.com", host: "x.trycloudflare.com"))
    }

    func testSomethingThatIsNoURLIsNotAdmitted() {
        var requestGuard = RequestGuard(port: 3030, allowedOrigins: [], allowedHosts: [], loopbackBound: false)
        for text in ["https://", "no url", "https://bad host/", "https://a.example.test:99999"] {
            XCTAssertFalse(requestGuard.admit(publicURL: text), text)
        }
        XCTAssertFalse(requestGuard.hostAllowed("a.example.test"))
    }
}
