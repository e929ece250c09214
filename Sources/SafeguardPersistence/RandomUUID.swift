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
