import SafeguardCore
import SafeguardPersistence
import Vapor

/// The guidance the pages show and cite: the server's own library (`Assessor.library`), bound for each request by
/// `GuidanceMiddleware`, so that a page asks the questions, lists the offences and cites the sections of the editions
/// the engine assessed by. Services are given their guidance explicitly; pages reach it through this, as a page's
/// wording (a citation in a hint, the name of a school's lead) is built in many small places far from the request.
/// Outside a request, such as a test building a view model alone, it is the bundled library.
///
/// ```swift
/// let questions = PageGuidance.library.edition(for: facts, today: today).pack.questions
/// ```
enum PageGuidance {
    @TaskLocal static var library: GuidanceLibrary = .bundled
}

/// Binds `PageGuidance.library` to the server's library for the rest of the request.
///
/// ```swift
/// app.middleware.use(AsyncMiddlewareChain([GuidanceMiddleware(library: assessor.library), …]))
/// ```
struct GuidanceMiddleware: AsyncMiddleware {
    let library: GuidanceLibrary

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await PageGuidance.$library.withValue(library) { try await next.respond(to: request) }
    }
}

extension CaseRecord {
    /// The guidance edition the case is assessed under, in the server's library (`PageGuidance`): its setting and
    /// nation, on its assessment date or today. Pages cite the edition's own sections through it, never an Action
    /// number written in Swift. Services use their own injected guidance (`RecordService.guidance(for:)`).
    var guidance: GuidancePack { PageGuidance.library.edition(for: facts, today: CaseController.today).pack }
}
