import DispatchHTTP
import XCTest

private typealias F = WebSocketFixtures

final class WebSocketReaderErrorTests: XCTestCase {
    private func assertProtocolError(_ bytes: [UInt8], _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        guard case .protocolError? = F.error(bytes) else {
            return XCTFail("expected a protocol error, got \(String(describing: F.read(bytes))) \(message)", file: file, line: line)
        }
    }

    func testCloseCodes() {
        XCTAssertEqual(WebSocketError.protocolError("x").closeCode, 1002)
        XCTAssertEqual(WebSocketError.invalidUTF8.closeCode, 1007)
        XCTAssertEqual(WebSocketError.messageTooBig.closeCode, 1009)
    }

    func testUnmaskedClientFrame() {
        assertProtocolError(F.frame(opcode: 0x1, Array("hi".utf8), mask: nil))
        assertProtocolError(F.frame(opcode: 0x9, [], mask: nil))
        // Judged from the two header bytes alone.
        assertProtocolError([0x81, 0x05])
    }

    func testReservedBits() {
        for rsv: UInt8 in 1...7 {
            assertProtocolError(F.frame(opcode: 0x1, Array("hi".utf8), rsv: rsv), "rsv \(rsv)")
        }
    }

    func testUnknownOpcodes() {
        for opcode: UInt8 in [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            assertProtocolError(F.frame(opcode: opcode, []), "opcode \(opcode)")
            assertProtocolError(F.frame(opcode: opcode, [1, 2, 3], fin: false), "opcode \(opcode)")
        }
    }

    func testControlFrameLongerThan125Bytes() {
        for opcode: UInt8 in [0x8, 0x9, 0xA] {
            assertProtocolError(F.frame(opcode: opcode, Array(repeating: 0, count: 126)), "opcode \(opcode)")
            // Even a short payload in the 16-bit form declares itself too long via the 7-bit field.
            assertProtocolError(F.frame(opcode: opcode, [], length: .sixteen), "opcode \(opcode)")
        }
        XCTAssertEqual(F.read(F.ping(Array(repeating: 0, count: 125))).messages, [.ping(Array(repeating: 0, count: 125))])
    }

    func testFragmentedControlFrame() {
        for opcode: UInt8 in [0x8, 0x9, 0xA] {
            assertProtocolError(F.frame(opcode: opcode, [1], fin: false), "opcode \(opcode)")
        }
    }

    func testContinuationWithoutAStart() {
        assertProtocolError(F.continuation(Array("x".utf8), fin: true))
        assertProtocolError(F.continuation([], fin: false))
        // Nor after a message that has already finished.
        assertProtocolError(F.text("a", fin: false) + F.continuation([], fin: true) + F.continuation([], fin: true))
    }

    func testNewDataFrameWhileAFragmentedMessageIsOpen() {
        assertProtocolError(F.text("a", fin: false) + F.text("b"))
        assertProtocolError(F.text("a", fin: false) + F.binary([1], fin: false))
        assertProtocolError(F.binary([1], fin: false) + F.ping([]) + F.text("b"))
    }

    func testOneByteClosePayload() {
        assertProtocolError(F.frame(opcode: 0x8, [0x03]))
    }

    func testInvalidCloseCodes() {
        let invalid: [UInt16] = [0, 1, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
        for code in invalid {
            guard case .protocolError? = F.error(F.close(code: code)) else { return XCTFail("code \(code) accepted") }
        }
    }

    func testTopBitOf64BitLength() {
        let header: [UInt8] = [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1]
        assertProtocolError(header)
        assertProtocolError([0x82, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    func testInvalidUTF8InOneFrame() {
        XCTAssertEqual(F.error(F.frame(opcode: 0x1, [0x61, 0xC0, 0x80])), .invalidUTF8)
        // A text message cut short mid-character.
        XCTAssertEqual(F.error(F.frame(opcode: 0x1, [0x61, 0xE2, 0x82])), .invalidUTF8)
        XCTAssertEqual(WebSocketError.invalidUTF8.closeCode, 1007)
    }

    /// Autobahn 6.4: the message fails on the fragment that makes it invalid, before its end.
    func testInvalidUTF8FailsOnTheFragmentWhereItBecomesInvalid() throws {
        // "κόσμε" then ED A0 80 (a surrogate), then valid text that never gets its chance.
        let valid = Array("κόσμε".utf8)
        var reader = WebSocketReader()
        reader.append(F.frame(opcode: 0x1, valid + [0xED], fin: false))
        XCTAssertNil(try reader.next(), "a lead byte at the end of a fragment may still be completed")
        reader.append(F.continuation([0xA0, 0x80], fin: false))
        XCTAssertThrowsError(try reader.next()) { XCTAssertEqual($0 as? WebSocketError, .invalidUTF8) }

        // Split mid-character across three fragments, invalid in the middle one.
        let outcome = F.read(chunks: [
            F.frame(opcode: 0x1, [0xF4], fin: false),
            F.continuation([0x90], fin: false),  // F4 90 is beyond U+10FFFF
            F.continuation([0x80, 0x80], fin: true),
        ])
        XCTAssertEqual(outcome.error, .invalidUTF8)
    }

    func testTextEndingMidCharacterFailsAtTheLastFragment() throws {
        var reader = WebSocketReader()
        reader.append(F.frame(opcode: 0x1, Array("ab".utf8) + [0xF0, 0x9F], fin: false))
        XCTAssertNil(try reader.next())
        reader.append(F.continuation([0x98], fin: false))
        XCTAssertNil(try reader.next())
        reader.append(F.continuation([], fin: true))
        XCTAssertThrowsError(try reader.next()) { XCTAssertEqual($0 as? WebSocketError, .invalidUTF8) }
    }

    func testBinaryFragmentsAreNotValidated() {
        let stream = F.binary([0xC0], fin: false) + F.continuation([0xFF, 0xED, 0xA0], fin: true)
        XCTAssertEqual(F.read(stream).messages, [.binary([0xC0, 0xFF, 0xED, 0xA0])])
    }

    func testInvalidCloseReason() {
        XCTAssertEqual(F.error(F.close(code: 1000, reason: [0xCE, 0xBA, 0xE1])), .invalidUTF8)
        XCTAssertEqual(F.error(F.close(code: 1000, reason: [0xFF])), .invalidUTF8)
    }

    /// 1009 from the header alone: the payload is never waited for, so never buffered.
    func testMessageTooBigFromTheHeaderAlone() {
        let tenMegabytes: UInt64 = 10 << 20
        var header: [UInt8] = [0x82, 0xFF]
        for shift in stride(from: 56, through: 0, by: -8) { header.append(UInt8(tenMegabytes >> UInt64(shift) & 0xFF)) }
        XCTAssertEqual(F.error(header), .messageTooBig)  // not even the mask key yet
        XCTAssertEqual(F.error(header + F.mask), .messageTooBig)
        XCTAssertEqual(WebSocketError.messageTooBig.closeCode, 1009)

        XCTAssertEqual(F.error([0x81, 0xFE, 0x01, 0x00], maxMessageBytes: 255), .messageTooBig)
        XCTAssertEqual(F.error([0x81, 0xFE, 0x00, 0xFF], maxMessageBytes: 255), nil)
        XCTAssertEqual(F.error([0x81, 0x81], maxMessageBytes: 0), .messageTooBig)
    }

    func testReassembledMessageTooBig() throws {
        var reader = WebSocketReader(maxMessageBytes: 100)
        reader.append(F.binary(Array(repeating: 1, count: 60), fin: false))
        XCTAssertNil(try reader.next())
        // The second fragment's header alone puts the message over the limit.
        reader.append(Array(F.continuation(Array(repeating: 2, count: 41), fin: true).prefix(2)))
        XCTAssertThrowsError(try reader.next()) { XCTAssertEqual($0 as? WebSocketError, .messageTooBig) }
    }

    func testPoisonedAfterAThrow() throws {
        var reader = WebSocketReader()
        reader.append(F.text("ok") + F.frame(opcode: 0x3, []) + F.text("after"))
        XCTAssertEqual(try reader.next(), .text("ok"))
        var first: WebSocketError?
        XCTAssertThrowsError(try reader.next()) { first = $0 as? WebSocketError }
        guard case .protocolError? = first else { return XCTFail("expected a protocol error") }
        reader.append(F.text("more"))
        for _ in 0..<3 {
            XCTAssertThrowsError(try reader.next()) { XCTAssertEqual($0 as? WebSocketError, first) }
        }
    }
}
