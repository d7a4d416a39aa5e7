// The `gpt2` suite: GPT-2 124M at full size, as a learner who loads the real one meets it.

import Foundation
import GPTKit

/// GPT-2 small with transformers' default `GPT2Config` shapes (V 50257, T 1024, 12 layers,
/// 12 heads, C 768) and random weights from the workbook's seeded generator, saved as a
/// Hugging Face folder (model.safetensors and a transformers-style config.json) and loaded
/// back the way `ch07-sampling --checkpoint gpt2` loads the real one. Then: load time,
/// resident memory, cached generation in float32 and bfloat16, and one training step at
/// B 4, T 64 (llm.c's CPU quick-start shape). `Tests/Interop/torch_gpt2_speed.py` measures
/// transformers on the same shapes; the references are its figures on the reference machine.
enum GPT2Suite {
  static func run(peak: Double) -> [BenchResult] {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-gpt2-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    do { try save(GPT(.gpt2Small, seed: 1337), to: folder) } catch { fail("bench gpt2: \(error)") }
    var model: GPT?
    let loadSeconds = bestTime(repeats: 2, minimum: 0) {
      model = nil  // the previous copy is freed before the next load
      model = try? Checkpoint.loadModel(folder)
    }
    guard let model else { fail("bench gpt2: the saved folder does not load") }
    let resident = ModelSuite.residentMegabytes()
    var results = [
      BenchResult(
        suite: "gpt2", name: "load 124M from a Hugging Face folder (498 MB of F32)", value: loadSeconds, unit: "s",
        reference: nil, basis: "-", notes: "RSS \(resident) MB after loading", higherIsBetter: false)
    ]
    let count = 64
    for (precision, reference) in [(WeightPrecision.float32, 38.0), (.bfloat16, 38.0)] {
      let generator = Generator(model, weights: precision)
      let seconds = bestTime(repeats: 2, minimum: 0) {
        generator.generate([50256], count: count, options: SamplingOptions(temperature: 0))
      }
      results.append(
        BenchResult(
          suite: "gpt2", name: "generate \(count) tokens, KV cache, \(precision.rawValue) weights",
          value: Double(count) / seconds, unit: "tok/s", reference: reference,
          basis: "transformers generate, cache, fp32", notes: "RSS \(ModelSuite.residentMegabytes()) MB",
          key: "gpt2 generate cache \(precision.rawValue)"))
    }
    let (B, T) = (4, 64)
    var rng = SplitMix64(seed: 10)
    let tokens = (0..<(B * T + 1)).map { _ in Int32(rng.nextInt(below: GPTConfig.gpt2Small.vocabularySize)) }
    let (x, y) = (Array(tokens.dropLast()), Array(tokens.dropFirst()))
    let optimizer = AdamW(model.layout)
    let step = bestTime(repeats: 2, minimum: 0) {  // forward, backward, clipping, AdamW: Trainer.trainStep's work
      model.zeroGradients()
      model.forward(inputs: x, targets: y, B: B, T: T, training: true)
      model.backward()
      _ = clipGradients(model.gradients, maxNorm: 1)
      optimizer.update(model.parameters, gradients: model.gradients, lr: 1e-4)
    }
    results.append(
      BenchResult(
        suite: "gpt2", name: "training steps, B \(B) T \(T) (AdamW included)", value: Double(B * T) / step,
        unit: "tok/s", reference: Double(B * T) / 1.59, basis: "transformers + torch.optim.AdamW, 1.59 s/step",
        notes: "\(step.formatted(decimals: 2)) s/step, RSS \(ModelSuite.residentMegabytes()) MB", key: "gpt2 train"))
    return results
  }

  /// `model` as `save_pretrained` would write it: no optimizer, no workbook key.
  static func save(_ model: GPT, to folder: String) throws {
    try SafeTensors.write(
      model.layout.entries.map { ($0.name, $0.shape, UnsafePointer(model.parameters.base + $0.offset)) },
      metadata: ["format": "pt"], to: "\(folder)/model.safetensors")
    let c = model.config
    let config: [String: Any] = [
      "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "activation_function": "gelu_new",
      "vocab_size": c.vocabularySize, "n_positions": c.contextLength, "n_embd": c.channels,
      "n_layer": c.layerCount, "n_head": c.headCount, "layer_norm_epsilon": 1e-5,
    ]
    try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: "\(folder)/config.json"))
  }
}
