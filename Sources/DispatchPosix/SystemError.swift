import Glibc

/// A failed system call: which one, and errno.
public struct SystemError: Error, Equatable, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String {
        "\(operation): \(String(cString: strerror(code)))"
    }
}

/// Runs a call that returns -1 on failure, retrying on EINTR.
@discardableResult
func check(_ operation: String, _ call: () -> Int32) throws(SystemError) -> Int32 {
    while true {
        let result = call()
        if result >= 0 { return result }
        if errno != EINTR { throw SystemError(operation) }
    }
}
