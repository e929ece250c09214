import Crypto
import Foundation

/// SHA-256 as lower-case hex: what the server keeps in place of a secret (a session id, a form's text) or names a
/// thing by (a document's version, an asset's ETag). One way of writing it, without `String(format:)` per byte.
///
/// ```swift
/// HexDigest.sha256("abc")   // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// ```
public enum HexDigest {
    public static func sha256(_ text: String) -> String { sha256(Data(text.utf8)) }

    public static func sha256(_ data: Data) -> String { AuditChain.hex(SHA256.hash(data: data)) }
}
