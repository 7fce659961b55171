// libFuzzer entry point for the wire decoder; built by Tests/Fuzz/run, not by SwiftPM.
// Compiled together with Sources/DispatchWire in one module, so no import is needed.

/// Any trap here is a finding: decoding must only return messages or throw, decoded messages
/// must re-encode to exactly the bytes they came from, and how the input is split across
/// appends must not change the verdict.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)

    var whole = FrameDecoder()
    whole.append(input)
    var messages: [WireMessage] = []
    var failure: WireError?
    var offset = 0
    do throws(WireError) {
        while let message = try whole.next() {
            let consumed = size - offset - whole.bufferedByteCount
            let frame = WireCodec.encode(message)
            guard frame.elementsEqual(input[offset..<offset + consumed]) else { fatalError("re-encoding differs: \(message)") }
            var again = FrameDecoder()
            again.append(frame)
            guard (try? again.next()) == message, again.bufferedByteCount == 0 else {
                fatalError("re-encoded frame decodes differently: \(message)")
            }
            offset += consumed
            messages.append(message)
        }
    } catch {
        failure = error
        // Poisoned: asking again gives the same error and consumes nothing.
        var again: WireError?
        do throws(WireError) { _ = try whole.next() } catch { again = error }
        guard again == failure, whole.bufferedByteCount == size - offset else { fatalError("not poisoned") }
    }

    // The same bytes split at a point taken from the data itself.
    let split = size == 0 ? 0 : Int(input[0]) % (size + 1)
    var pieces = FrameDecoder()
    var splitMessages: [WireMessage] = []
    var splitFailure: WireError?
    do throws(WireError) {
        pieces.append(UnsafeRawBufferPointer(rebasing: input[..<split]))
        while let message = try pieces.next() { splitMessages.append(message) }
        pieces.append(UnsafeRawBufferPointer(rebasing: input[split...]))
        while let message = try pieces.next() { splitMessages.append(message) }
    } catch {
        splitFailure = error
    }
    guard splitMessages == messages, splitFailure == failure else { fatalError("split changed the result") }
    return 0
}
