// swift-tools-version:6.0
// The Swift GPT workbook: one core library (GPTKit), one executable per book chapter,
// learner exercises with their reference solutions, and a benchmark runner. Chapters depend on
// the exercises so that `--mine` can run the learner's pieces in place of the library's.
// No package dependencies: the Swift toolchain is all a learner needs.
import Foundation
import PackageDescription

// Release builds must be allowed to use the CPU's widest vector instructions: without a CPU
// target, `SIMD16<Float>` code runs at a few GFLOP/s instead of ~100 per core (AVX-512).
// Learners build on the machine they run on, so "native" is the right target.
#if arch(x86_64)
  let cpuFlags = ["-Xcc", "-march=native"]
#else
  // arm64 (Apple silicon, Linux on ARM): NEON is part of the baseline, no flag needed.
  let cpuFlags: [String] = []
#endif
// The matrix multiply's tile is fitted to the vector registers in the same spirit
// (Kernels/GemmKernel.swift): 12 x 32 where this machine has AVX-512's 32 registers of 16
// floats, 6 x 16 elsewhere. GPTKIT_AVX512=1 or 0 overrides the check, to test the other tile.
func buildMachineHasAVX512() -> Bool {
  if let forced = ProcessInfo.processInfo.environment["GPTKIT_AVX512"] { return forced == "1" }
  #if os(Linux) && arch(x86_64)
    // Read to the end: /proc files report a size of 0, which some readers take at its word.
    let bytes = FileHandle(forReadingAtPath: "/proc/cpuinfo").flatMap { try? $0.readToEnd() } ?? Data()
    let info = String(decoding: bytes, as: UTF8.self)
    return info.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.contains(" avx512f") }
  #elseif os(macOS) && arch(x86_64)
    var (value, size) = (Int32(0), MemoryLayout<Int32>.size)
    return sysctlbyname("hw.optional.avx512f", &value, &size, nil, 0) == 0 && value == 1
  #else
    return false
  #endif
}
let tile: [SwiftSetting] = buildMachineHasAVX512() ? [.define("AVX512")] : []
let fastMath: [SwiftSetting] = [
  .unsafeFlags(cpuFlags + ["-enforce-exclusivity=unchecked"], .when(configuration: .release))
]
// The core library is optimised even in debug builds: unoptimised, its kernels run 100x
// slower and `swift test` (which builds debug) would take an hour instead of a minute.
// Chapters and tests stay debug, so their errors point at readable code.
let optimisedCore: [SwiftSetting] =
  fastMath + tile + [.unsafeFlags(cpuFlags + ["-O", "-enforce-exclusivity=unchecked"], .when(configuration: .debug))]

let chapters = [
  ("ch00-tensors", "00-tensors"),
  ("ch01-tokenization", "01-tokenization"),
  ("ch02-dataloader", "02-dataloader"),
  ("ch03-embeddings", "03-embeddings"),
  ("ch04-attention", "04-attention"),
  ("ch05-block", "05-block"),
  ("ch06-training", "06-training"),
  ("ch07-sampling", "07-sampling"),
  ("ch08-scaling", "08-scaling"),
  ("ch09-finetuning", "09-finetuning"),
]

let package = Package(
  name: "SwiftGPTWorkbook",
  products: chapters.map { .executable(name: $0.0, targets: [$0.0]) } + [
    .library(name: "GPTKit", targets: ["GPTKit"]),
    .executable(name: "bench", targets: ["bench"]),
    .executable(name: "fuzz", targets: ["fuzz"]),
  ],
  targets: [
    .target(name: "GPTKit", swiftSettings: optimisedCore),
    .target(name: "Exercises", dependencies: ["GPTKit"]),
    .target(name: "Solutions", dependencies: ["GPTKit", "Exercises"]),
    .executableTarget(name: "bench", dependencies: ["GPTKit"], swiftSettings: fastMath),
    .executableTarget(name: "fuzz", dependencies: ["GPTKit"]),
    .testTarget(name: "GPTKitTests", dependencies: ["GPTKit"], exclude: ["Fixtures"]),
    // The exercise tests run chapters under `--mine`, so they depend on them being built.
    .testTarget(
      name: "ExerciseTests",
      dependencies: ["GPTKit", "Exercises", "Solutions"] + chapters.map { .target(name: $0.0) }),
    .testTarget(
      name: "BookTests",
      dependencies: chapters.map { .target(name: $0.0) },
      resources: []
    ),
  ]
    + chapters.map {
      .executableTarget(
        name: $0.0, dependencies: ["GPTKit", "Exercises", "Solutions"], path: "Chapters/\($0.1)",
        swiftSettings: fastMath)
    }
)
