import XCTest
@testable import DispatchGateway

final class KeyFingerprintTests: XCTestCase {
    let key = "correct horse battery staple"

    func testMatchesTheSameKeyOnly() {
        let fingerprint = KeyFingerprint.make(key: key)
        XCTAssertTrue(KeyFingerprint.matches(fingerprint, key: key))
        for other in ["correct horse battery stapl", key + " ", key.uppercased(), ""] {
            XCTAssertFalse(KeyFingerprint.matches(fingerprint, key: other), other)
        }
    }

    func testSaltedSoTheSameKeyFingerprintsDifferently() {
        let a = KeyFingerprint.make(key: key)
        let b = KeyFingerprint.make(key: key)
        XCTAssertNotEqual(a, b)
        XCTAssertTrue(KeyFingerprint.matches(b, key: key))
        XCTAssertFalse(String(decoding: a, as: UTF8.self).contains(key))
    }

    func testMalformedFingerprintsMatchNothing() {
        let fingerprint = KeyFingerprint.make(key: key)
        var flipped = fingerprint
        flipped[40] ^= 1
        for bad in [[], Array(fingerprint.dropLast()), fingerprint + [0], flipped, [UInt8](repeating: 0, count: 48)] {
            XCTAssertFalse(KeyFingerprint.matches(bad, key: key), "\(bad)")
        }
    }
}
