import Foundation

/// A crime outcome from the Home Office Crime Recording Rules' menu of predefined codes (College of Policing,
/// Action 9; 2016: para 19), which applies in England and Wales; `local` is for a force elsewhere recording under its
/// own scheme. Outcome 21 is recorded only through a supervisor's approval of a proposal (Action 11).
///
/// ```swift
/// OutcomeCode(rawValue: "22")?.title   // "Diversionary, educational or intervention activity …"
/// ```
public enum OutcomeCode: String, Sendable, Hashable, Codable, CaseIterable {
    case charge = "1", chargeAlternativeOffence = "1A", youthCaution = "2", youthConditionalCaution = "2A",
         adultCaution = "3", adultConditionalCaution = "3A", takenIntoConsideration = "4", offenderDied = "5",
         penaltyNotice = "6", cannabisKhatWarning = "7", communityResolution = "8", notInPublicInterestCPS = "9",
         notInPublicInterestPolice = "10", belowAgeOfCriminalResponsibility = "11", suspectTooIll = "12",
         victimOrWitnessUnavailable = "13", evidentialDifficultiesSuspectNotIdentified = "14",
         evidentialDifficultiesVictimSupports = "15", evidentialDifficultiesVictimDoesNotSupport = "16",
         timeLimitExpired = "17", noSuspectIdentified = "18", nfibFiled = "19", actionByAnotherBody = "20",
         outcome21 = "21", outcome22 = "22", local

    public var title: String {
        switch self {
        case .charge: "Charge or summons"
        case .chargeAlternativeOffence: "Charge or summons for an alternative offence"
        case .youthCaution: "Caution – youth"
        case .youthConditionalCaution: "Youth conditional caution"
        case .adultCaution: "Caution – adult"
        case .adultConditionalCaution: "Conditional caution – adult"
        case .takenIntoConsideration: "Taken into consideration"
        case .offenderDied: "The offender has died"
        case .penaltyNotice: "Penalty notice for disorder"
        case .cannabisKhatWarning: "Cannabis or khat warning"
        case .communityResolution: "Community resolution"
        case .notInPublicInterestCPS: "Prosecution not in the public interest (CPS decision)"
        case .notInPublicInterestPolice: "Formal action not in the public interest (police decision)"
        case .belowAgeOfCriminalResponsibility: "Prosecution prevented – suspect below the age of criminal responsibility"
        case .suspectTooIll: "Prosecution prevented – suspect too ill"
        case .victimOrWitnessUnavailable: "Prosecution prevented – victim or key witness dead or too ill"
        case .evidentialDifficultiesSuspectNotIdentified: "Evidential difficulties – suspect not identified; victim does not support action"
        case .evidentialDifficultiesVictimSupports: "Evidential difficulties – suspect identified; victim supports action"
        case .evidentialDifficultiesVictimDoesNotSupport: "Evidential difficulties – suspect identified; victim does not support action"
        case .timeLimitExpired: "Prosecution time limit expired"
        case .noSuspectIdentified: "Investigation complete – no suspect identified"
        case .nfibFiled: "National Fraud Intelligence Bureau filed"
        case .actionByAnotherBody: "Further action by another body or agency"
        case .outcome21: "Further investigation not in the public interest – police decision (Outcome 21)"
        case .outcome22: "Diversionary, educational or intervention activity undertaken; further action not in the public interest (Outcome 22)"
        case .local: "An outcome under the force's own scheme"
        }
    }

    /// The first day the code could be used: Outcome 21 from January 2016 (Action 9); Outcome 22 from April 2019.
    public var availableFrom: CalendarDate? {
        switch self {
        case .outcome21: CalendarDate(year: 2016, month: 1, day: 1)
        case .outcome22: CalendarDate(year: 2019, month: 4, day: 1)
        default: nil
        }
    }
}
