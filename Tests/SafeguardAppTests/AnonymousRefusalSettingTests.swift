import Foundation
@testable import SafeguardApp
import SafeguardCore
import SafeguardPersistence
import Testing
import Vapor

/// Where one address stands for many people, the throttle on refused requests without credentials can be raised;
/// a value that is not a whole number from 1 stops the start with what to set.
@Suite(.serialized) struct AnonymousRefusalSettingTests {
    @Test func theLimitIsReadFromTheEnvironmentAndChecked() throws {
        defer { unsetenv("SAFEGUARD_ANONYMOUS_REFUSALS_PER_MINUTE") }
        #expect(try SafeguardOptions.fromEnvironment().anonymousRejectionLimit == 100)
        setenv("SAFEGUARD_ANONYMOUS_REFUSALS_PER_MINUTE", "2500", 1)
        #expect(try SafeguardOptions.fromEnvironment().anonymousRejectionLimit == 2500)
        setenv("SAFEGUARD_ANONYMOUS_REFUSALS_PER_MINUTE", "0", 1)
        #expect { try SafeguardOptions.fromEnvironment() } throws: { "\($0)".contains("SAFEGUARD_ANONYMOUS_REFUSALS_PER_MINUTE: give a whole number from 1") }
    }

    /// How long a new PostgreSQL connection may take to be ready: ten seconds unless set, and a setting that is not a
    /// number of seconds from 1 to 600 stops the start with what to set.
    @Test func thePostgresConnectDeadlineIsReadFromTheEnvironmentAndChecked() throws {
        defer { unsetenv("SAFEGUARD_POSTGRES_CONNECT_SECONDS") }
        #expect(try SafeguardOptions.fromEnvironment().postgresConnectTimeout == 10)
        setenv("SAFEGUARD_POSTGRES_CONNECT_SECONDS", "45", 1)
        #expect(try SafeguardOptions.fromEnvironment().postgresConnectTimeout == 45)
        for bad in ["0", "601", "ten", "1.5"] {
            setenv("SAFEGUARD_POSTGRES_CONNECT_SECONDS", bad, 1)
            #expect { try SafeguardOptions.fromEnvironment() } throws: {
                "\($0)" == "SAFEGUARD_POSTGRES_CONNECT_SECONDS: give a number of seconds from 1 to 600 (the usual is 10), not \(bad)"
            }
        }
    }

    /// An on-or-off setting is on only when it says so, and a spelling it does not know stops the start: a Secure
    /// cookie setting of "true" used to mean off, without a word.
    @Test func onOrOffSettingsRefuseWhatTheyDoNotKnow() throws {
        defer { unsetenv("SAFEGUARD_SECURE_COOKIES"); unsetenv("SAFEGUARD_TRUST_FORWARDED_FOR") }
        #expect(try SafeguardOptions.fromEnvironment().secureCookies == false)
        for on in ["1", "true", "TRUE", "yes", "on"] {
            setenv("SAFEGUARD_SECURE_COOKIES", on, 1)
            setenv("SAFEGUARD_TRUST_FORWARDED_FOR", on, 1)
            let options = try SafeguardOptions.fromEnvironment()
            #expect(options.secureCookies && options.trustForwardedFor, "\(on)")
        }
        for off in ["0", "false", "no", "off", ""] {
            setenv("SAFEGUARD_SECURE_COOKIES", off, 1)
            #expect(try SafeguardOptions.fromEnvironment().secureCookies == false, "\(off)")
        }
        for bad in ["2", "enabled", "ture"] {
            setenv("SAFEGUARD_SECURE_COOKIES", bad, 1)
            #expect { try SafeguardOptions.fromEnvironment() } throws: { "\($0)" == "SAFEGUARD_SECURE_COOKIES: give 1 (on) or 0 (off), not \(bad)" }
        }
    }
}
