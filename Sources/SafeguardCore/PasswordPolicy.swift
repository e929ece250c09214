import Foundation

/// What a new password must be, after the NCSC's password guidance: long enough (12 characters), no composition
/// rules (no "one capital, one digit"), and not one that attackers try first. The deny-list is Django's list of
/// 20,000 common passwords (Royce Williams' list, lowercased), shipped in `Resources/passwords` with its source.
///
/// A password is refused when, compared without case:
/// - it is on the list;
/// - it is a listed password with digits or symbols added at the end or start (`liverpool12345`, `!!password2024`);
/// - it is one shorter piece written again and again, or has at most two different characters (`kettlekettle`, `aaaaaaaaaaaa`);
/// - it is a run of the keyboard or the alphabet (`123456789012`, `abcdefghijkl`, `qwertyuiopas`);
/// - it is an example everyone has seen: the one our own refusals suggest, the demo's, the famous passphrase;
/// - it contains the whole email address, or is mostly the email's name (before the @): `jane.smith2026!`.
///
/// ```swift
/// if let problem = PasswordPolicy.problem(with: "liverpool12345", email: "a.b@force.police.uk") {
///     // "this password is too common: attackers try it early. Choose three or four unrelated words instead"
/// }
/// ```
public enum PasswordPolicy {
    /// The fewest characters a password may have.
    public static let minimumLength = 12
    /// The most characters: bcrypt reads 72 bytes, and a longer value is more likely a paste of something else.
    public static let maximumLength = 128

    /// The advice every refusal ends with.
    public static let advice = "Choose three or four unrelated words instead"

    /// The example the advice gives.
    public static let example = "kettle orbit lantern violet"

    /// Passwords printed where anyone can read them, compared by their letters and digits alone: the example above
    /// (shown to everyone who types a short password), the demo accounts' (in the README), and xkcd's passphrase.
    static let published = Set([example, "safeguard-demo-2026", "correct horse battery staple"].map(lettersAndDigits))

    static func lettersAndDigits(_ text: String) -> String { String(text.lowercased().filter { $0.isLetter || $0.isNumber }) }

    /// Why this password cannot be used, as a sentence a person can act on; nil when it can.
    public static func problem(with password: String, email: String? = nil) -> String? {
        if password.count < minimumLength {
            return "use a password of at least \(minimumLength) characters. \(advice), like \"\(example)\" (but not those words: choose your own)"
        }
        if password.count > maximumLength {
            return "use a password of at most \(maximumLength) characters"
        }
        let lowered = password.lowercased()
        if published.contains(lettersAndDigits(password)) {
            return "this password is an example printed for everyone to see, so attackers try it early: choose your own three or four unrelated words"
        }
        if isCommon(lowered) {
            return "this password is too common: attackers try it early. \(advice)"
        }
        if isRepeated(lowered) || isRun(lowered) {
            return "this password is a repeat or a run of keys, which attackers try early. \(advice)"
        }
        if let email = email?.lowercased().trimmingCharacters(in: .whitespaces), !email.isEmpty {
            let name = email.split(separator: "@").first.map(String.init) ?? email
            // The address, or the name with little else around it (`jane.smith2026!`): a long passphrase that happens
            // to contain a short name (`a long admin password`) is fine.
            if lowered.contains(email) || (name.count >= 4 && lowered.contains(name) && lowered.replacingOccurrences(of: name, with: "").count < 8) {
                return "this password contains your email address, which anyone can guess. \(advice)"
            }
        }
        return nil
    }

    /// True when the password (lowercased) is on the list, or is a listed password with digits or symbols around it.
    static func isCommon(_ lowered: String) -> Bool {
        let list = commonPasswords
        if list.contains(lowered) { return true }
        let core = lowered.trimmingCharacters(in: CharacterSet.alphanumerics.inverted.union(.decimalDigits))
        return core.count >= 4 && core != lowered && list.contains(core)
    }

    /// At most two different characters, or one shorter piece written again and again (`kettlekettle`).
    static func isRepeated(_ lowered: String) -> Bool {
        let characters = Array(lowered)
        if Set(characters).count <= 2 { return true }
        return (1...(characters.count / 2)).contains { length in
            characters.count % length == 0
                && stride(from: length, to: characters.count, by: length).allSatisfy { characters[$0..<$0 + length] == characters[0..<length] }
        }
    }

    /// A run along a keyboard row or the alphabet or digits, forwards or backwards, wrapping once.
    static func isRun(_ lowered: String) -> Bool {
        let rows = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz", "0123456789"]
        for row in rows {
            for source in [row, String(row.reversed())] {
                let doubled = source + source + source
                if doubled.contains(lowered) { return true }
            }
        }
        return false
    }

    /// The deny-list, read once from the bundle.
    static let commonPasswords: Set<String> = {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt", subdirectory: "passwords"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            // A missing list would let every common password through: stop rather than run without it.
            fatalError("the common-password list is missing from the SafeguardCore bundle (Resources/passwords)")
        }
        return Set(text.split(whereSeparator: \.isNewline).map { String($0) })
    }()
}
