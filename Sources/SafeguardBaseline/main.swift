import Vapor

// A bare Vapor route, built with the same settings as the server, for the load benchmark's baseline:
// `safeguard-baseline --hostname 127.0.0.1 --port 8090`, then `GET /` answers "ok". Every figure the benchmark
// prints is a share of this route's requests per second, measured in the same run. `GET /bytes/22000` answers 22,000
// bytes: a second baseline, for information, the size of a case read.
var arguments = CommandLine.arguments
var hostname = "127.0.0.1"
var port = 8090
var index = 1
while index < arguments.count {
    switch arguments[index] {
    case "--hostname" where index + 1 < arguments.count: hostname = arguments[index + 1]; index += 2
    case "--port" where index + 1 < arguments.count: port = Int(arguments[index + 1]) ?? port; index += 2
    default:
        FileHandle.standardError.write(Data("usage: safeguard-baseline [--hostname 127.0.0.1] [--port 8090]\n".utf8))
        exit(2)
    }
}
let app = try await Application.make(Environment(name: "production", arguments: ["safeguard-baseline"]))
app.http.server.configuration.hostname = hostname
app.http.server.configuration.port = port
app.middleware = Middlewares()
app.get { _ in "ok" }
// A body of as many bytes as asked (at most 1 MiB), sliced from one buffer made at start: the baseline for a route that
// answers as much as a case read does (about 22 KB), so that the load benchmark can say how much of a read's distance
// from "ok" is only the size of what it sends.
let filler = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1 << 20)
app.get("bytes", ":count") { req -> Response in
    guard let count = req.parameters.get("count", as: Int.self), (0...filler.readableBytes).contains(count) else {
        throw Abort(.badRequest, reason: "count must be 0–\(filler.readableBytes)")
    }
    return Response(status: .ok, body: .init(buffer: filler.getSlice(at: 0, length: count)!))
}
// The same 256 KiB a hostile client sends, read whole and answered "ok": the baseline for bench/hostile.py.
app.on(.POST, body: .collect(maxSize: "1mb")) { _ in "ok" }
try await app.execute()
try await app.asyncShutdown()
