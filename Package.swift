// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Safeguard",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SafeguardCore", targets: ["SafeguardCore"]),
        .executable(name: "safeguard", targets: ["safeguard"]),
        .executable(name: "safeguard-benchmark", targets: ["SafeguardBenchmark"]),
        .executable(name: "safeguard-baseline", targets: ["SafeguardBaseline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // Server only: never a dependency of SafeguardCore.
        .package(url: "https://github.com/vapor/vapor", from: "4.100.0"),
        .package(url: "https://github.com/vapor/fluent", from: "4.12.0"),
        .package(url: "https://github.com/vapor/fluent-kit", from: "1.50.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver", from: "4.8.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver", from: "2.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/vapor/leaf", from: "4.5.2"),
        .package(url: "https://github.com/vapor/leaf-kit", from: "1.14.3"),
        // Already in the build through Vapor; named for the baseline's plain-NIO route.
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
    ],
    targets: [
        // The pure core: case facts, the guidance engine and the guidance packs. No web, no database.
        .target(
            name: "SafeguardCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            resources: [.copy("Resources/guidance"), .copy("Resources/passwords")]
        ),
        // Storage: Fluent models kept inside, Sendable value types at the edge.
        .target(
            name: "SafeguardPersistence",
            dependencies: [
                "SafeguardCore",
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The web server: configure, routes, auth, audit, image screening.
        .target(
            name: "SafeguardApp",
            dependencies: [
                "SafeguardCore",
                "SafeguardPersistence",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
            ]
        ),
        .executableTarget(
            name: "safeguard",
            dependencies: [
                "SafeguardCore",
                "SafeguardApp",
                "SafeguardPersistence",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
            ]
        ),
        .executableTarget(
            name: "SafeguardBenchmark",
            // Persistence for `SortedJSON` alone: how an assessment is written for storage at every case opening.
            dependencies: ["SafeguardCore", "SafeguardPersistence"]
        ),
        // A bare Vapor route with the server's build settings: the load benchmark's baseline. With `--plain-nio`, the
        // same "ok" from SwiftNIO's HTTP/1.1 server alone: what a request path outside Vapor could start from.
        .executableTarget(
            name: "SafeguardBaseline",
            dependencies: [
                .product(name: "Vapor", package: "vapor"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Starts the programs the tests run, without Foundation's Process (see ChildProcess).
        .target(name: "Spawning", path: "Tests/Spawning"),
        .testTarget(
            name: "SafeguardCoreTests",
            dependencies: ["SafeguardCore", "Spawning"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SafeguardAppTests",
            dependencies: [
                "SafeguardApp",
                "SafeguardPersistence",
                "SafeguardCore",
                // The crash test starts the real executable.
                "safeguard",
                "Spawning",
                .product(name: "VaporTesting", package: "vapor"),
                // PostgreSQL's errors, to show their details when a test fails on them.
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
            ]
        ),
    ]
)
