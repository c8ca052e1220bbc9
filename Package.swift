// swift-tools-version:6.0
import PackageDescription

// The targets follow the data flow: legacy files → config and lists (CsfCompat) → policy (CsfPolicy) → nft model
// and set contents (NftRuleset) → kernel (NftKernel). CsfFirewall orchestrates over any KernelPort; lfd's pure
// detectors and trackers (LfdCore) sit apart from its I/O (LfdService). Only LfdCore links PCRE2, so csf does not.
let package = Package(
    name: "nftcsf",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "csf", targets: ["csf"]),
        .executable(name: "lfd", targets: ["lfd"]),
        .executable(name: "csf-fleet", targets: ["csf-fleet"]),
        .executable(name: "csf-ui", targets: ["csf-ui"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Only the fleet service (csf-fleet) links these: csf and lfd stay free of SwiftNIO.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The web service (csf-ui) only: an HTTP server on SwiftNIO.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // lfd's counters, written in Prometheus's exposition format (no SwiftNIO: atomics and swift-metrics only).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Minimal C shims: only what Swift cannot call directly.
        .systemLibrary(name: "CSys", path: "Sources/CSys"),
        // libnftables' header only: NftKernel loads the library itself when a transaction needs it (LibNftables).
        .systemLibrary(name: "CNftShim", path: "Sources/CNftShim",
                       providers: [.apt(["libnftables-dev", "libmnl-dev", "libnftnl-dev"])]),
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "CsfCompat", dependencies: ["CSys"]),
        .target(name: "CsfPolicy", dependencies: ["CsfCompat"]),
        .target(name: "NftRuleset", dependencies: ["CsfPolicy", "CsfCompat"]),
        .target(name: "NftKernel", dependencies: ["NftRuleset", "CsfCompat", "CNftShim", "CSys"]),
        .target(name: "CsfFirewall", dependencies: ["NftKernel", "NftRuleset", "CsfPolicy", "CsfCompat"]),
        .target(name: "LfdCore", dependencies: ["CsfCompat", "CPCRE2", "CSys"]),
        .target(name: "LfdService", dependencies: [
            "LfdCore", "CsfFirewall", "NftKernel", "CsfCompat", "CSys", "CCrypto", "CCurl", "CZlib",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        // The fleet (issue 19): PostgreSQL through postgres-nio, in its own program so csf and lfd stay small.
        .target(name: "CsfFleet", dependencies: [
            "CsfFirewall", "NftKernel", "CsfCompat",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "csf-fleet", dependencies: [
            "CsfFleet", "CsfFirewall", "CsfCompat",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/csf-fleet"),

        // The web service (issue 18): unprivileged, on Hummingbird; its root helper (the same program) changes
        // the firewall through CsfFirewall; lfd answers its metrics on a local socket.
        .executableTarget(name: "csf-ui", dependencies: [
            "CsfCompat", "CsfFirewall", "NftRuleset", "LfdService", "CSys", "CCrypto",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Sources/csf-ui"),

        // No swift-argument-parser: it brings Foundation into every csf start (a ban is one start). For the same
        // start, libgcc and libstdc++ are linked statically (the latter from the directory
        // tools/static-libstdcxx.sh fills before a release build; without it, the shared library as before).
        .executableTarget(name: "csf", dependencies: ["CsfFirewall", "CsfCompat"], linkerSettings: [
            .unsafeFlags(["-Xclang-linker", "-static-libgcc", "-L", Context.packageDirectory + "/.build/static-libstdc++"],
                         .when(platforms: [.linux])),
        ]),
        .executableTarget(name: "lfd", dependencies: [
            "LfdService", "LfdCore", "CsfFirewall", "CsfCompat",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Test support: a recording KernelPort, throwaway directories, the repository's paths.
        .target(name: "CsfTestSupport", dependencies: ["CsfFirewall", "NftKernel", "NftRuleset", "CsfCompat"],
                path: "Tests/Support"),
        .testTarget(name: "CsfCompatTests", dependencies: ["CsfCompat", "CsfTestSupport"]),
        .testTarget(name: "CsfPolicyTests", dependencies: ["CsfPolicy", "CsfCompat", "CsfTestSupport"]),
        .testTarget(name: "NftRulesetTests", dependencies: ["NftRuleset", "CsfPolicy", "CsfCompat", "CsfTestSupport"]),
        .testTarget(name: "NftKernelTests", dependencies: ["NftKernel", "NftRuleset", "CsfCompat", "CsfTestSupport"]),
        .testTarget(name: "CsfFirewallTests", dependencies: ["CsfFirewall", "NftKernel", "NftRuleset", "CsfCompat", "CsfTestSupport"]),
        .testTarget(name: "CsfFleetTests", dependencies: ["CsfFleet", "CsfFirewall", "CsfCompat"]),
        .testTarget(name: "CsfUITests", dependencies: ["csf-ui", "CsfCompat", "NftRuleset", "CsfTestSupport"]),
        .testTarget(name: "LfdCoreTests", dependencies: ["LfdCore", "CsfCompat", "CsfTestSupport"]),
        .testTarget(name: "LfdServiceTests", dependencies: ["LfdService", "LfdCore", "CsfFirewall", "CsfCompat", "CsfTestSupport"]),
        // Test-only helper run as a child process inside a test's network namespace.
        .executableTarget(name: "NetlinkProbe", dependencies: ["NftKernel", "NftRuleset", "CsfCompat"],
                          path: "Tests/NetlinkProbe"),
        .testTarget(name: "KernelTests", dependencies: ["CsfFirewall", "NftKernel", "NftRuleset", "CsfCompat", "CsfTestSupport", "csf", "csf-fleet", "csf-ui", "lfd", "NetlinkProbe"],
                    exclude: ["Support"]),
    ]
)
