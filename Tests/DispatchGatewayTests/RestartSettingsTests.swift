import Glibc
import XCTest
@testable import DispatchGateway

/// What a signal to the gateway means, and the orphan timeout setting.
final class RestartSettingsTests: XCTestCase {
    func testSignalsAndTheirShutdownModes() {
        XCTAssertEqual(ShutdownMode.of(signal: SIGUSR2, keepSessionsOnTerm: false), .keepSessions)
        XCTAssertEqual(ShutdownMode.of(signal: SIGTERM, keepSessionsOnTerm: false), .stopSessions)
        XCTAssertEqual(ShutdownMode.of(signal: SIGINT, keepSessionsOnTerm: false), .stopSessions)
        // Under a service manager holding the lifeline, SIGTERM is a restart; ^C still stops everything.
        XCTAssertEqual(ShutdownMode.of(signal: SIGTERM, keepSessionsOnTerm: true), .keepSessions)
        XCTAssertEqual(ShutdownMode.of(signal: SIGINT, keepSessionsOnTerm: true), .stopSessions)
        XCTAssertNil(ShutdownMode.of(signal: SIGCHLD, keepSessionsOnTerm: false))
        XCTAssertEqual(Set(ShutdownMode.signals), [SIGTERM, SIGINT, SIGUSR2])
    }

    func testOrphanTimeoutDefaultsToAnHourAndRejectsNonsense() throws {
        XCTAssertEqual(try GatewayConfig(environment: [:]).orphanTimeoutSeconds, 3600)
        XCTAssertEqual(try GatewayConfig(environment: ["DISPATCH_ORPHAN_TIMEOUT": "5"]).orphanTimeoutSeconds, 5)
        for bad in ["0", "-1", "1h", "", "31536001", "99999999999999999999"] {
            XCTAssertThrowsError(try GatewayConfig(environment: ["DISPATCH_ORPHAN_TIMEOUT": bad]), bad) { error in
                XCTAssertEqual((error as? GatewayConfig.Invalid)?.variable, "DISPATCH_ORPHAN_TIMEOUT")
            }
        }
    }
}
