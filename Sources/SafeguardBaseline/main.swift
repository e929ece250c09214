import NIOCore
import NIOHTTP1
import NIOPosix
import Vapor

// A bare Vapor route, built with the same settings as the server, for the load benchmark's baseline:
// `safeguard-baseline --hostname 127.0.0.1 --port 8090`, then `GET /` answers "ok". Every figure the benchmark
// prints is a share of this route's requests per second, measured in the same run. `GET /bytes/22000` answers 22,000
// bytes: a second baseline, for information, the size of a case read.
//
// `--plain-nio` answers "ok" to every request from SwiftNIO's HTTP/1.1 pipeline alone, with no Vapor: for information,
// how much of the bare route is Vapor's own (`bench/load.sh` measures it beside the bare route), which is what a
// request path outside Vapor for the hottest routes could hope to save.
var arguments = CommandLine.arguments
var hostname = "127.0.0.1"
var port = 8090
var plainNIO = false
var index = 1
while index < arguments.count {
    switch arguments[index] {
    case "--hostname" where index + 1 < arguments.count: hostname = arguments[index + 1]; index += 2
    case "--port" where index + 1 < arguments.count: port = Int(arguments[index + 1]) ?? port; index += 2
    case "--plain-nio": plainNIO = true; index += 1
    default:
        FileHandle.standardError.write(Data("usage: safeguard-baseline [--hostname 127.0.0.1] [--port 8090] [--plain-nio]\n".utf8))
        exit(2)
    }
}

/// "ok" to every request, kept alive as HTTP/1.1 asks: the least an HTTP server on SwiftNIO does for a request.
final class PlainOK: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let body = ByteBuffer(string: "ok")
    private var keepAlive = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): keepAlive = head.isKeepAlive
        case .body: break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
            headers.add(name: "content-length", value: "2")
            if !keepAlive { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let channel = context.channel
                written.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}

if plainNIO {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
    let channel = try await ServerBootstrap(group: group)
        .serverChannelOption(ChannelOptions.backlog, value: 256)
        .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(PlainOK()) }
        }
        .bind(host: hostname, port: port).get()
    print("plain NIO: \"ok\" on http://\(hostname):\(port)")
    try await channel.closeFuture.get()
    exit(0)
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
