import DispatchHTTP
import XCTest

final class WebSocketHandshakeTests: XCTestCase {
    /// Stands in for the HTTP types: names case-insensitive, tokens split and lower-cased.
    private struct Headers {
        var fields: [(String, String)]

        func value(_ name: String) -> String? {
            fields.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        func tokens(_ name: String) -> [String] {
            fields.filter { $0.0.lowercased() == name.lowercased() }.flatMap { field in
                field.1.split(separator: ",").map { trimmed($0).lowercased() }
            }
        }
    }

    private let key = "dGhlIHNhbXBsZSBub25jZQ=="
    private let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    private var browser: [(String, String)] {
        [
            ("Host", "example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "keep-alive, Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ]
    }

    private func validate(_ fields: [(String, String)], method: String = "GET") -> Result<String, WebSocketHandshake.HandshakeError> {
        let headers = Headers(fields: fields)
        return WebSocketHandshake.validate(method: method, headerValue: headers.value, headerTokens: headers.tokens)
    }

    private func replacing(_ name: String, with value: String?) -> [(String, String)] {
        var fields = browser.filter { $0.0 != name }
        if let value { fields.append((name, value)) }
        return fields
    }

    /// RFC 6455 section 1.3's worked example.
    func testAcceptValueOfTheRFCExample() {
        XCTAssertEqual(WebSocketHandshake.guid, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
        XCTAssertEqual(WebSocketHandshake.acceptValue(forKey: key), accept)
    }

    func testValidRequest() {
        XCTAssertEqual(validate(browser), .success(accept))
        // Header names in any case, tokens in any case and across repeated headers.
        let shouty = [("UPGRADE", "WebSocket"), ("connection", "keep-alive"), ("Connection", "UPGRADE"),
                      ("sec-websocket-key", " \(key) "), ("SEC-WEBSOCKET-VERSION", "13")]
        XCTAssertEqual(validate(shouty), .success(accept))
    }

    func testNotGet() {
        for method in ["POST", "HEAD", "get", ""] {
            XCTAssertEqual(validate(browser, method: method), .failure(.notGet), method)
        }
    }

    func testNotAnUpgrade() {
        XCTAssertEqual(validate(replacing("Upgrade", with: nil)), .failure(.notAnUpgrade))
        XCTAssertEqual(validate(replacing("Upgrade", with: "h2c")), .failure(.notAnUpgrade))
        XCTAssertEqual(validate(replacing("Connection", with: nil)), .failure(.notAnUpgrade))
        XCTAssertEqual(validate(replacing("Connection", with: "keep-alive")), .failure(.notAnUpgrade))
    }

    func testUnsupportedVersion() {
        for version in [nil, "8", "12", "14", "", "13x"] as [String?] {
            XCTAssertEqual(validate(replacing("Sec-WebSocket-Version", with: version)), .failure(.unsupportedVersion),
                           String(describing: version))
        }
    }

    func testBadKey() {
        let keys: [String?] = [
            nil,
            "",
            "not base64 at all!",
            "dGhlIHNhbXBsZSBub25j",  // 15 bytes
            "dGhlIHNhbXBsZSBub25jZSE=",  // 17 bytes
        ]
        for key in keys {
            XCTAssertEqual(validate(replacing("Sec-WebSocket-Key", with: key)), .failure(.badKey), String(describing: key))
        }
    }
}

private func trimmed(_ text: Substring) -> Substring {
    var text = text
    while text.first == " " { text.removeFirst() }
    while text.last == " " { text.removeLast() }
    return text
}
