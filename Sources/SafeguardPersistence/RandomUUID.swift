import Foundation

extension UUID {
    /// A random (version 4) UUID, as `UUID()` makes, from the system's random source through `getrandom`.
    ///
    /// Foundation on Linux opens, reads and closes `/dev/urandom` for every `UUID()`: three system calls, made for
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
    /// milliseconds, then 74 random bits): the ids of audit entries and of everything a case is made of.
    ///
    /// New rows' ids then fall at the right-hand end of their primary-key index, and a new case's id at the end of the
    /// indexes by case, so a batch of audit entries, or a case with its actions and lines, adds to one or two pages of
    /// each; random ids dirtied a page of each index for every row, each page written to the WAL at the commit and to
    /// the file again at the checkpoint. The time they show is no more than the row's own creation time.
    public static func timeOrdered(now: Date = Date()) -> UUID {
        // A random id with its first 48 bits the time and its version 7.
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1_000))
        var value = random().uuid
        withUnsafeMutableBytes(of: &value) { bytes in
            for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - UInt64(index)))) }
            bytes[6] = (bytes[6] & 0x0F) | 0x70
        }
        return UUID(uuid: value)
    }
}
