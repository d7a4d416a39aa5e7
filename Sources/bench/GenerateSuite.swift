// The `generate` suite: batch-1 generation speed, with and without the KV cache.

import GPTKit

enum GenerateSuite {
  static func run(peak: Double) -> [BenchResult] {
    let config = ModelSuite.configs[1].gpt  // config B, as in the reference figures
    let model = GPT(config)
    let generator = Generator(model)
    let options = SamplingOptions(temperature: 0)
    return [(true, 498.0, "PyTorch best, KV cache"), (false, 96.0, "PyTorch best, recompute")].map {
      useCache, reference, basis in
      let seconds = bestTime(repeats: 2, minimum: 0) {
        generator.generate([0], count: 255, options: options, useCache: useCache)
      }
      return BenchResult(
        suite: "generate", name: "config B, batch 1, 255 new tokens, \(useCache ? "KV cache" : "recompute the prefix")",
        value: 255 / seconds, unit: "tok/s", reference: reference, basis: basis,
        key: useCache ? "generate cache" : "generate recompute")
    }
  }
}
