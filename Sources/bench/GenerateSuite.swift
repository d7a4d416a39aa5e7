// The `generate` suite: batch-1 generation speed, with and without the KV cache, and with the
// block matrices in BFloat16.

import GPTKit

enum GenerateSuite {
  static func run(peak: Double) -> [BenchResult] {
    let config = ModelSuite.configs[1].gpt  // config B, as in the reference figures
    let model = GPT(config)
    let options = SamplingOptions(temperature: 0)
    let runs: [(WeightPrecision, Bool, Double, String)] = [
      (.float32, true, 498, "PyTorch best, KV cache"), (.float32, false, 96, "PyTorch best, recompute"),
      (.bfloat16, true, 498, "PyTorch best, KV cache, float32 weights"),
    ]
    return runs.map { weights, useCache, reference, basis in
      let generator = Generator(model, weights: weights)
      let seconds = bestTime(repeats: useCache ? 3 : 2, minimum: 0) {  // a cached run takes well under a second
        generator.generate([0], count: 255, options: options, useCache: useCache)
      }
      let how = useCache ? "new tokens, KV cache" : "new tokens, recompute the prefix"
      return BenchResult(
        suite: "generate",
        name: "config B, batch 1, 255 \(weights == .bfloat16 ? "tokens, cache, bf16 weights" : how)",
        value: 255 / seconds, unit: "tok/s", reference: reference, basis: basis,
        key: weights == .bfloat16 ? "generate cache bf16" : useCache ? "generate cache" : "generate recompute")
    }
  }
}
