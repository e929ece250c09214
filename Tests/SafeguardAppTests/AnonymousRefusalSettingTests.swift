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
}
