// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Safeguard",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SafeguardCore", targets: ["SafeguardCore"]),
        .executable(name: "safeguard", targets: ["safeguard"]),
        .executable(name: "safeguard-benchmark", targets: ["SafeguardBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // The pure core: case facts, the guidance engine and the guidance packs. No web, no database.
        .target(
            name: "SafeguardCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            resources: [.copy("Resources/guidance")]
        ),
        .executableTarget(
            name: "safeguard",
            dependencies: [
                "SafeguardCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "SafeguardBenchmark",
            dependencies: ["SafeguardCore"]
        ),
        .testTarget(
            name: "SafeguardCoreTests",
            dependencies: ["SafeguardCore"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
