// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "nftcsf",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "csf", targets: ["csf"]),
        .executable(name: "lfd", targets: ["lfd"]),
        .library(name: "NftFirewall", targets: ["NftFirewall"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CNftShim",
            pkgConfig: "libnftables",
            providers: [.apt(["libnftables-dev", "libmnl-dev", "libnftnl-dev", "libpcre2-dev"])]
        ),
        .target(
            name: "NftFirewall",
            dependencies: [
                "CNftShim",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "csf",
            dependencies: [
                "NftFirewall",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "lfd",
            dependencies: [
                "NftFirewall",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "NftFirewallTests",
            dependencies: ["NftFirewall"]
        ),
        // Test-only helper run as a child process inside a test's network namespace.
        .executableTarget(
            name: "NetlinkProbe",
            dependencies: ["NftFirewall"],
            path: "Tests/NetlinkProbe"
        ),
        .testTarget(
            name: "KernelTests",
            dependencies: ["NftFirewall", "csf", "NetlinkProbe"],
            exclude: ["Support"]
        ),
    ]
)
