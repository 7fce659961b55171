import CDispatchSys
import Glibc

public enum Randomness {
    /// Bytes from the kernel's CSPRNG.
    public static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { dsys_getrandom($0.baseAddress! + filled, count - filled) }
            if n > 0 { filled += n } else if errno != EINTR { fatalError("getrandom: \(SystemError("getrandom"))") }
        }
        return bytes
    }
}
