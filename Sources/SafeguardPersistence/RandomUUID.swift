import Foundation

extension UUID {
    /// A random (version 4) UUID, as `UUID.random()` makes, from the system's random source through `getrandom`.
    ///
    /// Foundation on Linux opens, reads and closes `/dev/urandom` for every `UUID.random()`: three system calls, made for
    /// each audit entry, case, action and chronology line written, which showed in a case read's profile.
    ///
    /// ```swift
    /// let id = UUID.random()
    /// ```
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &value) { bytes in
            bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: 8, as: UInt64.self)
            bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4: random
            bytes[8] = (bytes[8] & 0x3F) | 0x80  // the RFC 4122 variant
        }
        return UUID(uuid: value)
    }
}

extension UUID {
    /// A UUID that sorts, as text too, after every one made in an earlier millisecond (version 7: the time in
    /// milliseconds, then random bits), for rows written in order whose id nobody outside sees: the audit trail's.
    ///
    /// Written as text, such ids fall at the right-hand end of their primary-key index, so a batch of entries adds to
    /// one or two of its pages; random ids dirtied a page of the index for each entry, each written to the WAL at the
    /// commit and to the file again at the checkpoint.
    public static func timeOrdered(now: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1_000))
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &value) { bytes in
            bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: 0, as: UInt64.self)
            bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: 8, as: UInt64.self)
            for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - UInt64(index)))) }
            bytes[6] = (bytes[6] & 0x0F) | 0x70  // version 7: time-ordered
            bytes[8] = (bytes[8] & 0x3F) | 0x80  // the RFC 4122 variant
        }
        return UUID(uuid: value)
    }
}
