/// How much text each field may hold, by the field's name wherever it appears (a JSON key at any depth, a form
/// field, a query parameter), and how much free text one person may add to one case in an hour.
///
/// Each limit fits the field's purpose: a reference is short, a rationale is a few paragraphs. Together with the
/// text guard they make storing an image in pieces both detected and impractical: a 37 KB photo is about 50,000
/// characters of base64, more than a week of one person's hourly allowance on one case. The request middleware
/// applies them, the OpenAPI document states them as `maxLength`, and every form shows them.
///
/// ```swift
/// FieldLimits.limit(for: "summary")   // 500
/// FieldLimits.limit(for: "whatHappened")   // 2,000 (free text)
/// ```
public enum FieldLimits {
    /// Free text: notes, rationales, what happened and what was learned.
    public static let freeText = 2_000
    /// Free text one person may add to one case in one hour, across every field and request.
    public static let freeTextPerCasePerHour = 10_000

    /// Fields whose purpose calls for a different limit from `freeText`.
    public static let limits: [String: Int] = [
        // What a case is about, in a line or two, and its references.
        "summary": 500, "reference": 40, "crimeReference": 100, "ref": 20, "depicts": 20, "owner": 20,
        "containsImageryOf": 20, "person": 20, "device": 20, "subject": 200,
        // People and organisations.
        "name": 120, "displayName": 120, "childName": 120, "email": 254, "phone": 40, "to": 200, "takenBy": 120, "by": 120,
        "directedBy": 120, "unit": 120, "serviceName": 120, "location": 200, "localDescription": 500,
        // A case note, and a sign-off's reasoning, can run to a page.
        "text": 4_000, "rationale": 4_000,
        // Secrets and form plumbing.
        "password": PasswordPolicy.maximumLength, "confirm": PasswordPolicy.maximumLength, "code": 20, "_csrf": 100, "token": 200,
    ]

    /// The longest name a field of a request may have (any longer is not one of ours).
    public static let fieldName = 100

    /// The most characters `field` may hold.
    public static func limit(for field: String) -> Int { limits[field] ?? freeText }
}
