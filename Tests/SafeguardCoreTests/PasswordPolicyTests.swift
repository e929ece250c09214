import Foundation
@testable import SafeguardCore
import Testing

/// NCSC, "Password administration for system owners" (2018): at least 12 characters here, no composition rules,
/// and a deny-list of the most common passwords. The list is Django's (Resources/passwords/SOURCE.md).
@Suite struct PasswordPolicyTests {
    @Test func theDenyListIsLoadedWhole() {
        #expect(PasswordPolicy.commonPasswords.count == 19_640)
        #expect(PasswordPolicy.commonPasswords.contains("password1234"))
    }

    @Test func longEnoughUncommonPasswordsNeedNoCompositionRules() {
        // All lower case, no digit, no symbol: NCSC advises against demanding them.
        for password in ["pebble ferry walnut orchid", "kettle orbit lantern oyster", "my dog eats toast at noon", "x7#pQ9!mZ2&w"] {
            #expect(PasswordPolicy.problem(with: password, email: "a.b@force.police.uk") == nil, "\(password)")
        }
    }

    @Test func shortPasswordsAreRefusedWithAdvice() throws {
        let problem = try #require(PasswordPolicy.problem(with: "eleven char"))
        #expect(problem.contains("at least 12 characters"))
        #expect(PasswordPolicy.problem(with: String(repeating: "ab1", count: 50)) != nil, "over 128 characters")
    }

    @Test func listedPasswordsAndTheirPaddedFormsAreRefused() {
        for password in ["password1234", "PASSWORD1234", "liverpool12345", "!!!liverpool!!!", "iloveyou2024!"] {
            #expect(PasswordPolicy.problem(with: password)?.contains("too common") == true, "\(password)")
        }
    }

    /// The example a short password's refusal suggests is printed to everyone who types one; the demo's password
    /// is in the README; xkcd's passphrase is the best known of all. Each is refused however it is spaced or cased.
    @Test func passwordsPrintedForEveryoneAreRefused() throws {
        #expect(try #require(PasswordPolicy.problem(with: "short")).contains(PasswordPolicy.example))
        for password in [PasswordPolicy.example, "Kettle-Orbit-Lantern-Violet", "kettleorbitlanternviolet", "safeguard-demo-2026",
                         "correct horse battery staple", "CorrectHorseBatteryStaple"] {
            #expect(PasswordPolicy.problem(with: password)?.contains("an example printed for everyone to see") == true, "\(password)")
        }
    }

    @Test func repeatsAndRunsOfKeysAreRefused() {
        for password in ["aaaaaaaaaaaa", "abababababab", "kettlekettle", "qwertyuiopqw", "abcdefghijklm", "098765432109", "123456789012"] {
            #expect(PasswordPolicy.problem(with: password) != nil, "\(password)")
        }
    }

    @Test func aPasswordContainingTheEmailNameIsRefused() {
        #expect(PasswordPolicy.problem(with: "jane.smith-2026!", email: "Jane.Smith@force.police.uk")?.contains("email") == true)
        #expect(PasswordPolicy.problem(with: "kettle orbit lantern", email: "jo@force.police.uk") == nil, "a name under 4 letters is not checked")
    }
}

extension PasswordPolicyTests {
    @Test func aLongPassphraseMayContainAShortName() {
        #expect(PasswordPolicy.problem(with: "a long admin password", email: "admin@constabulary.test") == nil)
        #expect(PasswordPolicy.problem(with: "admin2026!!!", email: "admin@constabulary.test") != nil)
    }
}
