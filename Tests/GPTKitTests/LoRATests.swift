import Foundation
import Testing

@testable import GPTKit

@Suite("09 LoRA")
struct LoRATests {
  static let config = GPTConfig(vocabularySize: 11, contextLength: 8, layerCount: 2, headCount: 2, channels: 16)
  static func tokens(_ count: Int, seed: UInt64) -> [Int32] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Int32(rng.nextInt(below: 11)) }
  }
  static let (x, y) = (tokens(16, seed: 11), tokens(16, seed: 12))

  /// Adapters with `B` made non-zero (at `B = 0`, `dA = 0` whatever the backward does).
  static func trainedAdapters(_ model: GPT, rank: Int = 4, alpha: Float = 16) -> LoRAAdapters {
    let lora = LoRAAdapters(for: model, rank: rank, alpha: alpha, targets: .all, seed: 3)
    var rng = SplitMix64(seed: 4)
    for e in lora.layout.entries where e.name.hasSuffix("lora_B.weight") {
      for i in 0..<e.count { lora.weights.base[e.offset + i] = 0.05 * rng.nextNormal() }
    }
    return lora
  }

  static func logits(_ model: GPT, _ x: [Int32], B: Int, T: Int) -> [Float] {
    model.forward(inputs: x, B: B, T: T)
    return Array(UnsafeBufferPointer(start: model.logits, count: B * T * model.config.vocabularySize))
  }

  /// The largest relative error, per adapter tensor, between the backward's gradient and the
  /// slope of the loss. `afterBackward` may alter the gradients first (to plant a mistake).
  static func gradientErrors(
    _ model: GPT, _ lora: LoRAAdapters, afterBackward: (LoRAAdapters) -> Void = { _ in }
  ) -> [(name: String, relativeError: Double)] {
    lora.gradients.zero()
    model.zeroGradients()
    model.forward(inputs: x, targets: y, B: 2, T: 8)
    model.backward()
    afterBackward(lora)
    return GradientCheck.parameters(lora.weights, gradients: lora.gradients) {
      Double(model.forward(inputs: x, targets: y, B: 2, T: 8)!)
    }
  }

  @Test func theBufferHasPEFTsNamesAndShapes() {
    let lora = LoRAAdapters(Self.config, rank: 4, targets: .all)
    let qkvA = lora.layout.entry("base_model.model.transformer.h.1.attn.c_attn.lora_A.weight")
    let fcProjB = lora.layout.entry("base_model.model.transformer.h.0.mlp.c_proj.lora_B.weight")
    #expect(qkvA.shape == [4, 16] && fcProjB.shape == [16, 4])
    #expect(lora.layout.entries.count == 2 * 4 * 2)
    #expect(lora.targetModules == ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"])
    #expect(lora.layout.count == FineTuningCost.lora(Self.config, rank: 4, targets: .all).trainableParameters)
    #expect(LoRAAdapters(Self.config, targets: .attention).layout.entries.count == 2 * 2 * 2)
  }

  /// The seed's figure for GPT-2 small: `r = 8` on `c_attn` trains 294,912 parameters (0.24%).
  @Test func costsMatchTheSeedsFigureForGPT2Small() {
    let lora = FineTuningCost.lora(.gpt2Small, rank: 8, targets: .attnQKV)
    #expect(lora.trainableParameters == 294_912)
    #expect(lora.percentTrained.formatted(decimals: 2) == "0.24")
    #expect(lora.optimizerBytes == 8 * 294_912)
    let full = FineTuningCost.full(.gpt2Small)
    #expect(full.trainableParameters == 124_439_808 && full.optimizerBytes == 8 * 124_439_808)
    #expect(lora.description == "294,912 trainable parameters (0.24% of 124,439,808), AdamW moments 2.2 MB")
  }

  @Test func atInitialisationTheModelIsExactlyTheBaseModel() {
    let (base, adapted) = (GPT(Self.config, seed: 10), GPT(Self.config, seed: 10))
    let lora = LoRAAdapters(for: adapted, rank: 4)
    lora.install(on: adapted)
    #expect(Self.logits(adapted, Self.x, B: 2, T: 8) == Self.logits(base, Self.x, B: 2, T: 8))
    #expect((0..<lora.layout.count).contains { lora.weights.base[$0] != 0 }, "A must not start at zero")
  }

  @Test func theFrozenBaseGetsNoGradientAndTheAdaptersPassAGradientCheck() {
    let model = GPT(Self.config, seed: 10)
    let lora = Self.trainedAdapters(model)
    lora.install(on: model)
    let errors = Self.gradientErrors(model, lora)
    #expect((0..<model.parameterCount).allSatisfy { model.gradients.base[$0] == 0 })
    for (name, error) in errors { #expect(error < 0.05, "\(name): relative error \(error)") }
    #expect((0..<lora.layout.count).contains { lora.gradients.base[$0] != 0 })
  }

  /// A backward that forgets the `α/r` of `dB` (or `dA`) is off by a factor `r/α` = 1/4:
  /// the check must reject it.
  @Test func theGradientCheckRejectsADroppedScale() {
    let model = GPT(Self.config, seed: 10)
    let lora = Self.trainedAdapters(model, rank: 4, alpha: 16)
    lora.install(on: model)
    for part in ["lora_A", "lora_B"] {
      let errors = Self.gradientErrors(model, lora) { lora in
        for e in lora.layout.entries where e.name.contains(part) {
          for i in 0..<e.count { lora.gradients.base[e.offset + i] /= 4 }
        }
      }
      let planted = errors.filter { $0.name.contains(part) }
      #expect(planted.allSatisfy { $0.relativeError > 0.5 }, "\(part) without α/r should fail")
    }
  }

  @Test func oneTrainerStepMovesOnlyTheAdapters() throws {
    let (model, base) = (GPT(Self.config, seed: 10), GPT(Self.config, seed: 10))
    let lora = LoRAAdapters(for: model, rank: 4)
    lora.install(on: model)
    let before = Array(UnsafeBufferPointer(start: lora.weights.base, count: lora.layout.count))
    var options = TrainingOptions(steps: 2, batchSize: 2)
    options.warmupSteps = 1
    let trainer = Trainer(
      model: model, batches: FixedBatches(list: [Batch(x: Self.x, y: Self.y, B: 2, T: 8)]), trainProbe: [],
      validationProbe: [], options: options, trainable: lora.trainable)
    try trainer.trainStep()
    #expect((0..<model.parameterCount).allSatisfy { model.parameters.base[$0] == base.parameters.base[$0] })
    let after = Array(UnsafeBufferPointer(start: lora.weights.base, count: lora.layout.count))
    #expect(before != after)
    // At the first step B = 0, so dA = 0: only the B matrices move.
    for e in lora.layout.entries where e.name.hasSuffix("lora_A.weight") {
      #expect(before[e.offset..<(e.offset + e.count)] == after[e.offset..<(e.offset + e.count)])
    }
    try trainer.trainStep()
    let second = Array(UnsafeBufferPointer(start: lora.weights.base, count: lora.layout.count))
    let a = lora.layout.entries[0]
    #expect(after[a.offset..<(a.offset + a.count)] != second[a.offset..<(a.offset + a.count)], "then A moves too")
  }

  @Test func theMergedModelGivesTheAdaptedLogitsAndTheCacheRunsIt() {
    let model = GPT(Self.config, seed: 10)
    let lora = Self.trainedAdapters(model)
    lora.install(on: model)
    let adapted = Self.logits(model, Self.x, B: 2, T: 8)
    let base = Self.logits(GPT(Self.config, seed: 10), Self.x, B: 2, T: 8)
    lora.merge(into: model)
    #expect(!model.weightsFrozen && model.adapters.allSatisfy { $0.attnQKV == nil && $0.fcProj == nil })
    let merged = Self.logits(model, Self.x, B: 2, T: 8)
    let diff = zip(merged, adapted).map { abs($0 - $1) }.max()!
    #expect(diff < 1e-5, "merged vs adapted: \(diff)")
    #expect(zip(base, adapted).map { abs($0 - $1) }.max()! > 1e-2, "the adapters must change the output")
    // The KV cache runs the merged model untouched: its last logits are the forward's.
    let (cache, V) = (KVCache(model), Self.config.vocabularySize)
    for t in 0..<8 { cache.append(Self.x[t]) }
    let last = Array(UnsafeBufferPointer(start: cache.logits, count: V))
    let cached = zip(last, adapted[(7 * V)..<(8 * V)]).map { abs($0 - $1) }.max()!
    #expect(cached < 1e-4, "cached vs adapted: \(cached)")
  }
}
