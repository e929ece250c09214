/// A fact that may be true, false or not yet known, with Kleene's three-valued logic.
///
/// Every yes/no fact in a case is a `Tri`: an officer often knows some answers and not others, and the engine
/// must never treat "not known yet" as "no".
///
/// ```swift
/// let grooming: Tri = .unknown
/// (grooming || .true) == .true      // true or unknown = true
/// (grooming && .false) == .false    // false and unknown = false
/// (!grooming) == .unknown
/// ```
public enum Tri: Sendable, Hashable {
    case `true`, `false`, unknown

    public init(_ value: Bool?) {
        switch value {
        case .some(true): self = .true
        case .some(false): self = .false
        case .none: self = .unknown
        }
    }

    /// The value as an optional `Bool`: `nil` when unknown.
    public var bool: Bool? {
        switch self {
        case .true: true
        case .false: false
        case .unknown: nil
        }
    }

    public var isKnown: Bool { self != .unknown }

    public static prefix func ! (value: Tri) -> Tri {
        switch value {
        case .true: .false
        case .false: .true
        case .unknown: .unknown
        }
    }

    public static func || (lhs: Tri, rhs: @autoclosure () -> Tri) -> Tri {
        if lhs == .true { return .true }
        let right = rhs()
        if right == .true { return .true }
        if lhs == .false && right == .false { return .false }
        return .unknown
    }

    public static func && (lhs: Tri, rhs: @autoclosure () -> Tri) -> Tri {
        if lhs == .false { return .false }
        let right = rhs()
        if right == .false { return .false }
        if lhs == .true && right == .true { return .true }
        return .unknown
    }
}

extension Sequence {
    /// Kleene disjunction over a sequence: true if any element is true, false if all are false.
    @inlinable
    func anyTri(_ predicate: (Element) -> Tri) -> Tri {
        var sawUnknown = false
        for element in self {
            switch predicate(element) {
            case .true: return .true
            case .unknown: sawUnknown = true
            case .false: break
            }
        }
        return sawUnknown ? .unknown : .false
    }

    /// Kleene conjunction over a sequence: false if any element is false, true if all are true.
    @inlinable
    func allTri(_ predicate: (Element) -> Tri) -> Tri {
        var sawUnknown = false
        for element in self {
            switch predicate(element) {
            case .false: return .false
            case .unknown: sawUnknown = true
            case .true: break
            }
        }
        return sawUnknown ? .unknown : .true
    }
}
