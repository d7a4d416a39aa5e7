// The `train` suite: full training steps (forward, backward, clipping, AdamW) for A, B, C.

import Foundation
import GPTKit

enum TrainSuite {
  static func run(peak: Double) -> [BenchResult] {
    ModelSuite.chosen.map { c in
      let T = c.gpt.contextLength
      var rng = SplitMix64(seed: 10)
      let stream = (0..<(40 * c.B * T)).map { _ in Int32(rng.nextInt(below: c.gpt.vocabularySize)) }
      var options = TrainingOptions(steps: 1000, batchSize: c.B)
      options.evalBatches = 1
      let trainer = Trainer(
        model: GPT(c.gpt), train: stream, validation: Array(stream.prefix(2 * c.B * T + 1)), options: options)
      let seconds = bestTime(repeats: 3, minimum: 0.5) { _ = try? trainer.trainStep() }
      let mfu = Compute.utilisation(
        tokensPerSecond: Double(c.B * T) / seconds, flopsPerToken: c.gpt.trainingFLOPsPerToken(), peakGFLOPs: peak)
      return BenchResult(
        suite: "train", name: "config \(c.name) full step, B \(c.B) T \(T) (\(c.gpt.parameterCount) params)",
        value: Double(c.B * T) / seconds, unit: "tok/s", reference: c.pyTorchBest, basis: "PyTorch best",
        notes:
          "\((seconds * 1000).formatted(decimals: 0)) ms/step, MFU \(Int((100 * mfu).rounded()))%, RSS "
          + "\(ModelSuite.residentMegabytes()) MB (PyTorch default: \(c.pyTorchRSS))",
        key: "train \(c.name)")
    }
  }
}
