import DispatchHTTP
import DispatchPosix

/// What the store records about the key its logins were made under, so that a gateway started with
/// another key (a rotation) revokes them: a random salt, then SHA-256 over a fixed label, the salt and the
/// key. Never the key itself; the salt makes the same key fingerprint differently in every database, so
/// a copied database cannot be matched against digests computed in advance. (Whoever holds the database
/// can still test guesses of a weak chosen key against it; a generated key is 256 random bits.)
enum KeyFingerprint {
    static let saltBytes = 16
    private static let label = Array("dispatch login key\u{0}".utf8)

    static func make(key: String) -> [UInt8] {
        let salt = Randomness.bytes(saltBytes)
        return salt + digest(salt: salt, key: key)
    }

    /// False for anything malformed (a value from a damaged or foreign database counts as another key).
    static func matches(_ fingerprint: [UInt8], key: String) -> Bool {
        guard fingerprint.count == saltBytes + 32 else { return false }
        let salt = Array(fingerprint[..<saltBytes])
        return Secrets.constantTimeEqual(Array(fingerprint[saltBytes...]), digest(salt: salt, key: key))
    }

    private static func digest(salt: [UInt8], key: String) -> [UInt8] {
        SHA256.hash(label + salt + Array(key.utf8))
    }
}
