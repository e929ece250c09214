import Foundation
import SafeguardCore
import SafeguardPersistence

// Assessments per second for a typical case and a large one, against the cost of decoding the same JSON, measured
// side by side in one run on one core. Run: swift run -c release safeguard-benchmark [seconds-per-measurement]

let secondsPerMeasurement = Double(CommandLine.arguments.dropFirst().first ?? "") ?? 1.0
let today = CalendarDate("2026-11-23")!
let library = GuidanceLibrary.bundled
let uncached = library.withoutPlanCache()

/// A first police report: two 15-year-olds, most facts known, whether it was willing and any grooming not yet.
func typicalCase() -> CaseFacts {
    var circumstances = Circumstances()
    for i in Circumstances.factNames.indices { circumstances[fact: i] = .false }
    circumstances.willing = .unknown
    circumstances.grooming = .unknown
    circumstances.ageAppropriate = .true
    return CaseFacts(
        jurisdiction: .england, setting: .police, assessedOn: today,
        people: [
            Person(ref: "A", age: 15, roles: [.depicted, .creator, .sender], learningDisability: .false, inCare: .false,
                   childProtectionPlan: .false, selfHarmRisk: .false, immediateDanger: .false,
                   parentalInvolvementRisk: .false, previousIncidents: 0),
            Person(ref: "B", age: 15, roles: [.recipient, .possessor], learningDisability: .false, inCare: .false,
                   childProtectionPlan: .false, selfHarmRisk: .unknown, immediateDanger: .false,
                   parentalInvolvementRisk: .false, previousIncidents: 0),
        ],
        imagery: [Imagery(ref: "I1", kind: .image, depicts: ["A"], sexualActs: .false, violent: .false,
                          unusualForDevelopmentalStage: .false, sharedWithoutPermission: .false,
                          sharedBeyondControl: .unknown, uploadedToAdultSite: .false, platforms: [.snapchat])],
        circumstances: circumstances,
        devices: [Device(ref: "D1", owner: "B", seized: .false, containsImageryOf: ["A"])])
}

/// Ten people and ten images with most facts unknown: the worst a first report is likely to be.
func largeCase() -> CaseFacts {
    var people: [Person] = []
    for i in 0..<10 {
        people.append(Person(ref: "P\(i)", age: i % 3 == 0 ? nil : 13 + i % 5, roles: i == 0 ? [.depicted, .creator] : [.recipient, .sharer]))
    }
    var imagery: [Imagery] = []
    for j in 0..<10 {
        imagery.append(Imagery(ref: "I\(j)", kind: j % 4 == 3 ? .video : .image, depicts: ["P\(j)", "P\((j + 1) % 10)"],
                               platforms: j % 2 == 0 ? [.whatsapp] : []))
    }
    return CaseFacts(jurisdiction: .wales, setting: .police, assessedOn: today, people: people, imagery: imagery,
                     circumstances: Circumstances(), devices: [Device(ref: "D1", owner: "P1")])
}

/// A case opening's summary in the words of a first report (the API checks it with the facts' strings).
let openingSummary = "A (15) sent an image of herself to B (15) on Snapchat; B showed it to two friends at school the next morning and A told her form tutor."

/// Every string in a JSON document (keys not included), as the content guard collects them from a request.
func guardedStrings(_ json: Data) -> [String] {
    func walk(_ value: Any, into out: inout [String]) {
        if let text = value as? String { out.append(text) }
        else if let array = value as? [Any] { for element in array { walk(element, into: &out) } }
        else if let object = value as? [String: Any] { for key in object.keys.sorted() { walk(object[key]!, into: &out) } }
    }
    var out: [String] = []
    walk(try! JSONSerialization.jsonObject(with: json), into: &out)
    return out
}

/// Runs `body` repeatedly for about `secondsPerMeasurement`, three times, and returns the median time per call.
func measure(_ body: () -> Int) -> Double {
    var samples: [Double] = []
    var sink = 0
    for _ in 0..<3 {
        let clock = ContinuousClock()
        var iterations = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            for _ in 0..<64 { sink &+= body() }
            iterations += 64
            elapsed = clock.now - start
        } while elapsed < .seconds(secondsPerMeasurement)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        samples.append(seconds / Double(iterations))
    }
    if sink == 42 { print("") }   // keeps the work observable
    return samples.sorted()[1]
}

func report(_ name: String, _ facts: CaseFacts) {
    let json = facts.jsonData()
    let decoded = try! CaseFacts.decode(json: json)
    let sample = library.assess(decoded, today: today)
    let decode = measure { (try? CaseFacts.decode(json: json))?.people.count ?? 0 }
    let assess = measure { library.assess(decoded, today: today).recommendations.count }
    let cold = measure { uncached.assess(decoded, today: today).recommendations.count }
    let both = measure { library.assess(try! CaseFacts.decode(json: json), today: today).openQuestions.count }
    // The assessment as it is stored at every case opening and fact change, beside Foundation's encoder (same bytes).
    let stored = try! SortedJSON.bytes(sample)
    let store = measure { (try? SortedJSON.bytes(sample))?.count ?? 0 }
    let sortedEncoder = JSONEncoder()
    sortedEncoder.outputFormatting = [.sortedKeys]
    let foundation = measure { (try? sortedEncoder.encode(sample))?.count ?? 0 }
    // The no-imagery guard over every string a case opening carries, as the API's middleware checks each one.
    let strings = guardedStrings(json) + [openingSummary]
    let guarded = measure { strings.reduce(0) { $0 + (TextGuard.check($1, limit: 10_000) == nil ? 1 : 0) } }
    func us(_ s: Double) -> String { String(format: "%.1f µs", s * 1e6) }
    print("\(name): \(json.count) bytes of JSON, \(sample.openQuestions.count) open questions, \(sample.recommendations.count) recommendations")
    print("  decode JSON alone         \(us(decode))  (\(Int(1 / decode)) per second)")
    print("  full assessment           \(us(assess))  (\(Int(1 / assess)) per second, open questions included; plan of this case's shape cached)")
    print("  full assessment, cold     \(us(cold))  (\(Int(1 / cold)) per second, compiling the case's plan every time)")
    print("  decode + assess           \(us(both))  (\(Int(1 / both)) per second)")
    print("  ratio assessment / decode \(String(format: "%.2f", assess / decode)) cached, \(String(format: "%.2f", cold / decode)) cold  (target ≤ 1 for the typical case)")
    print("  text guard, every string  \(us(guarded))  (\(strings.count) strings, \(strings.reduce(0) { $0 + $1.utf8.count }) bytes, a summary among them; \(String(format: "%.2f", guarded / decode)) of decoding)")
    print("  assessment stored as JSON \(us(store))  (\(stored.count) bytes; \(String(format: "%.2f", store / decode)) of decoding; JSONEncoder, same bytes: \(us(foundation)), \(String(format: "%.2f", foundation / decode)))")
}

if CommandLine.arguments.dropFirst().first == "--profile" {
    // A fixed amount of work for a profiler (valgrind --tool=callgrind) to count.
    let facts = CommandLine.arguments.contains("large") ? largeCase() : typicalCase()
    let subject = CommandLine.arguments.contains("cold") ? uncached : library
    // How many times (a number among the arguments; 200 when none): the difference between two counts is the work
    // alone, without the program's start.
    let rounds = CommandLine.arguments.dropFirst(2).compactMap { Int($0) }.first ?? 200
    var sink = 0
    if CommandLine.arguments.contains("guard") {
        // The no-imagery guard over every string of a case opening, as the API's middleware checks them.
        let strings = guardedStrings(facts.jsonData()) + [openingSummary]
        for _ in 0..<rounds { sink &+= strings.reduce(0) { $0 + (TextGuard.check($1, limit: 10_000) == nil ? 1 : 0) } }
        print(sink)
        exit(0)
    }
    if CommandLine.arguments.contains("store") {
        // The assessment written for storage, as at every case opening.
        let assessment = subject.assess(facts, today: today)
        for _ in 0..<rounds { sink &+= (try? SortedJSON.bytes(assessment))?.count ?? 0 }
        print(sink)
        exit(0)
    }
    for _ in 0..<rounds { sink &+= subject.assess(facts, today: today).recommendations.count }
    print(sink)
    exit(0)
}

print("Safeguard engine benchmark: one thread, median of 3 runs of \(secondsPerMeasurement) s each")
report("typical case", typicalCase())
report("large case (10 people, 10 images, most facts unknown)", largeCase())
