/// Header fields in arrival order with their original spelling, looked up case-insensitively.
///
/// A flat array rather than a dictionary: requests carry a dozen headers, for which a linear
/// scan beats hashing, and order and repeats must survive (Set-Cookie, duplicate detection).
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    fileprivate struct Field: Sendable, Equatable {
        var name: String
        var value: String
    }

    private var fields: [Field]

    public init(_ pairs: [(String, String)] = []) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// The first value of `name`.
    public subscript(_ name: String) -> String? {
        fields.first { Self.namesMatch($0.name, name) }?.value
    }

    public func values(_ name: String) -> [String] {
        fields.compactMap { Self.namesMatch($0.name, name) ? $0.value : nil }
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every value of `name` with one, kept where the first one was so output order is stable.
    public mutating func set(_ name: String, _ value: String) {
        guard let first = fields.firstIndex(where: { Self.namesMatch($0.name, name) }) else {
            add(name, value)
            return
        }
        fields[first] = Field(name: name, value: value)
        var index = fields.index(after: first)
        while index < fields.endIndex {
            if Self.namesMatch(fields[index].name, name) { fields.remove(at: index) } else { index += 1 }
        }
    }

    public func contains(_ name: String) -> Bool {
        fields.contains { Self.namesMatch($0.name, name) }
    }

    /// Comma-separated tokens across all values of `name`, lower-cased and trimmed (for Connection: keep-alive, Upgrade).
    public func tokens(_ name: String) -> [String] {
        var result: [String] = []
        for field in fields where Self.namesMatch(field.name, name) {
            for part in field.value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
                let token = HTTPSyntax.trimmingWhitespace(part)
                guard !token.isEmpty else { continue }
                result.append(String(decoding: token.map(HTTPSyntax.lowercased), as: UTF8.self))
            }
        }
        return result
    }

    public var count: Int { fields.count }

    public var underestimatedCount: Int { fields.count }

    public func makeIterator() -> Iterator { Iterator(base: fields.makeIterator()) }

    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Field]>

        public mutating func next() -> (name: String, value: String)? {
            guard let field = base.next() else { return nil }
            return (field.name, field.value)
        }
    }

    /// ASCII-only folding is enough: field names are tokens, and anything else simply won't match.
    static func namesMatch(_ lhs: String, _ rhs: String) -> Bool {
        let lhs = lhs.utf8, rhs = rhs.utf8
        guard lhs.count == rhs.count else { return false }
        return lhs.elementsEqual(rhs) { HTTPSyntax.lowercased($0) == HTTPSyntax.lowercased($1) }
    }
}
