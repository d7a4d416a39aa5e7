// The `model` suite: forward + backward of the GPT for the reference configs A, B, C.

import Foundation
import GPTKit

enum ModelSuite {
  struct Config {
    var name: String
    var gpt: GPTConfig
    var B: Int
    /// PyTorch's best full training step (forward, backward, AdamW) in tokens/s: our
    /// forward + backward is compared against it, the nearest published figure.
    var pyTorchBest: Double
    /// Peak resident memory of the whole PyTorch training process (default build).
    var pyTorchRSS: String
  }

  /// Set by `--config`: run only this config in the model and train suites.
  nonisolated(unsafe) static var only: String?

  /// The configs the model and train suites run.
  static var chosen: [Config] { configs.filter { only == nil || $0.name == only } }

  static let configs = [
    Config(
      name: "A", gpt: .benchmarkA,
      B: 12, pyTorchBest: 42_300, pyTorchRSS: "0.85 GB"),
    Config(
      name: "B", gpt: .benchmarkB,
      B: 64, pyTorchBest: 4_670, pyTorchRSS: "3.98 GB"),
    Config(
      name: "C", gpt: .benchmarkC,
      B: 32, pyTorchBest: 5_060, pyTorchRSS: "2.55 GB"),
  ]

  static func run(peak: Double) -> [BenchResult] {
    chosen.map { c in
      let model = GPT(c.gpt)
      let T = c.gpt.contextLength
      var rng = SplitMix64(seed: 9)
      let x = (0..<(c.B * T)).map { _ in Int32(rng.nextInt(below: c.gpt.vocabularySize)) }
      let y = (0..<(c.B * T)).map { _ in Int32(rng.nextInt(below: c.gpt.vocabularySize)) }
      let timed = timeBesidePeak(repeats: 3, minimum: 0.5) {
        model.zeroGradients()
        model.forward(inputs: x, targets: y, B: c.B, T: T)
        model.backward()
      }
      let seconds = timed.seconds
      let tokensPerSecond = Double(c.B * T) / seconds
      let flopsPerToken = c.gpt.trainingFLOPsPerToken()  // chapter 08's count: 6N plus causal attention
      let flops = flopsPerToken * Double(c.B * T) / seconds / 1e9
      let mfu = Compute.utilisation(
        tokensPerSecond: tokensPerSecond, flopsPerToken: flopsPerToken, peakGFLOPs: timed.peak)
      var result = BenchResult(
        suite: "model", name: "config \(c.name) forward+backward, B \(c.B) T \(T) (\(c.gpt.parameterCount) params)",
        value: tokensPerSecond, unit: "tok/s", reference: c.pyTorchBest,
        basis: "PyTorch best, full step",
        notes:
          "\(Int(flops)) GFLOP/s (MFU \(percent(mfu)) of \(Int(timed.peak))), "
          + "\((seconds * 1000).formatted(decimals: 0)) ms/batch, RSS \(residentMegabytes()) MB"
      )
      (result.mfu, result.peakGFLOPs) = (mfu, timed.peak)
      return result
    }
  }

  /// The process's resident memory now (`VmRSS`), from /proc on Linux (0 elsewhere): read
  /// while a config's model is alive, it is that config's footprint.
  static func residentMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
  }
}
