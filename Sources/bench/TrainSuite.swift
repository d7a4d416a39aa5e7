// The `train` suite: full training steps (forward, backward, clipping, AdamW) for A, B, C,
// and for chapter 06's default model, the run a learner waits for.

import Foundation
import GPTKit

enum TrainSuite {
  /// Chapter 06's default run: BPE-512, 4 layers, 6 heads, C 192, T 128, batches of 16, dropout 0.1.
  static let chapter06 = ModelSuite.Config(
    name: "ch06",
    gpt: GPTConfig(
      vocabularySize: 512, contextLength: 128, layerCount: 4, headCount: 6, channels: 192, dropout: 0.1),
    B: 16, pyTorchBest: 0, pyTorchRSS: "-")

  static func run(peak: Double) -> [BenchResult] {
    let configs = ModelSuite.chosen + (ModelSuite.only == nil ? [chapter06] : [])
    return configs.map { c in
      let T = c.gpt.contextLength
      var rng = SplitMix64(seed: 10)
      let stream = (0..<(40 * c.B * T)).map { _ in Int32(rng.nextInt(below: c.gpt.vocabularySize)) }
      var options = TrainingOptions(steps: 1000, batchSize: c.B)
      options.evalBatches = 1
      let peakKnown = Machine.resetPeakResident()
      let trainer = Trainer(
        model: GPT(c.gpt), train: stream, validation: Array(stream.prefix(2 * c.B * T + 1)), options: options)
      // ours, then PyTorch (with --torch-live), round after round: each side keeps its best
      var ours = BesidePeak(seconds: .infinity, peak: 0)
      var torch: (tokensPerSecond: Double, peakMB: Int)?
      let live = TorchLive.enabled && c.name != chapter06.name
      for _ in 0..<(live ? TorchLive.rounds : 1) {
        let round = timeBesidePeak(repeats: live ? 2 : 3, minimum: 0.5) { _ = try? trainer.trainStep() }
        if round.seconds < ours.seconds { ours = round }
        guard live else { continue }
        let theirs = TorchLive.trainingStep(
          config: c.name, vocabulary: c.gpt.vocabularySize, threads: Parallel.threadCount)
        if theirs.tokensPerSecond > torch?.tokensPerSecond ?? 0 { torch = theirs }
      }
      let tokensPerSecond = Double(c.B * T) / ours.seconds
      let mfu = Compute.utilisation(
        tokensPerSecond: tokensPerSecond, flopsPerToken: c.gpt.trainingFLOPsPerToken(), peakGFLOPs: ours.peak)
      let peakMB = peakKnown ? Machine.peakResidentMegabytes() : nil
      let ourMemory = peakMB.map { "peak RSS \($0) MB" } ?? "peak RSS unknown"
      let memory =
        torch.map { "\(ourMemory) (PyTorch here \($0.peakMB) MB)" }
        ?? "\(ourMemory) (PyTorch default: \(c.pyTorchRSS))"
      var result = BenchResult(
        suite: "train", name: "config \(c.name) full step, B \(c.B) T \(T) (\(c.gpt.parameterCount) params)",
        value: tokensPerSecond, unit: "tok/s", reference: c.pyTorchBest > 0 ? c.pyTorchBest : nil,
        basis: c.pyTorchBest > 0 ? "PyTorch best" : "chapter 06's default run",
        notes:
          "\((ours.seconds * 1000).formatted(decimals: 0)) ms/step, MFU \(percent(mfu)) of "
          + "\(Int(ours.peak)) GFLOP/s, \(memory)",
        key: "train \(c.name)")
      (result.mfu, result.peakGFLOPs, result.peakMB, result.torchLive) = (mfu, ours.peak, peakMB, torch)
      return result
    }
  }
}
