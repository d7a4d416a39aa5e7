import Foundation
import Testing

@testable import GPTKit

func temporaryFolder() -> String {
  FileManager.default.temporaryDirectory.appendingPathComponent("gptkit-\(UUID())").path
}

@Suite("06 training")
struct TrainingTests {
  let config = GPTConfig(vocabularySize: 17, contextLength: 8, layerCount: 2, headCount: 2, channels: 16)

  func stream(_ count: Int, seed: UInt64) -> [Int32] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Int32(rng.nextInt(below: 17)) }
  }

  @Test func adamWMatchesItsFormula() {
    let layout = ParameterLayout(config)
    let (p, g) = (ParameterBuffer(layout), ParameterBuffer(layout))
    var rng = SplitMix64(seed: 1)
    for i in 0..<layout.count { (p.base[i], g.base[i]) = (rng.nextNormal(), rng.nextNormal()) }
    let before = Array(UnsafeBufferPointer(start: p.base, count: layout.count))
    let adam = AdamW(layout, weightDecay: 0.1)
    adam.update(p, gradients: g, lr: 0.01)
    for e in layout.entries {  // first step: m̂ = g, v̂ = g², so the step is lr · g / (|g| + ε)
      let i = e.offset
      var want = before[i] - 0.01 * g.base[i] / (abs(g.base[i]) + 1e-8)
      if AdamW.decays(e) { want *= 1 - 0.01 * 0.1 }
      #expect(abs(p.base[i] - want) < 1e-6, "\(e.name)")
    }
    #expect(
      !AdamW.decays(layout.entry("transformer.wte.weight"))
        && !AdamW.decays(layout.entry("transformer.h.0.ln_1.weight")))
    #expect(
      AdamW.decays(layout.entry("transformer.h.1.mlp.c_fc.weight"))
        && !AdamW.decays(layout.entry("transformer.h.1.mlp.c_fc.bias")))
  }

  @Test func scheduleWarmsUpThenDecaysToTheFloor() {
    let s = LearningRateSchedule(maxLR: 1e-3, minLR: 1e-4, warmupSteps: 10, totalSteps: 110)
    #expect(abs(s.rate(at: 0) - 1e-4) < 1e-9 && abs(s.rate(at: 9) - 1e-3) < 1e-9)
    #expect(abs(s.rate(at: 60) - 5.5e-4) < 1e-6)  // halfway down the cosine
    #expect(abs(s.rate(at: 110) - 1e-4) < 1e-9 && abs(s.rate(at: 500) - 1e-4) < 1e-9)
  }

  @Test func clippingScalesTheGlobalNorm() {
    let buffer = ParameterBuffer(ParameterLayout(config))
    buffer.base[0] = 3
    buffer.base[buffer.layout.count - 1] = 4
    #expect(clipGradients(buffer, maxNorm: 1) == 5)
    #expect(abs(buffer.base[0] - 0.6) < 1e-6 && abs(buffer.base[buffer.layout.count - 1] - 0.8) < 1e-6)
    #expect(clipGradients(buffer, maxNorm: 10) == 1)  // under the limit: untouched
  }

  @Test func safetensorsRoundTripAndRejectDamage() throws {
    let path = temporaryFolder() + "/t.safetensors"
    let values: [Float] = [1, 2, 3, 4, 5, 6]
    try values.withUnsafeBufferPointer {
      try SafeTensors.write([("a.weight", [2, 3], $0.baseAddress!)], metadata: ["format": "pt"], to: path)
    }
    let read = try SafeTensors.read(path)
    #expect(read["a.weight"]?.shape == [2, 3] && read["a.weight"]?.values == values)
    let bytes = FileManager.default.contents(atPath: path)!
    try bytes.prefix(bytes.count - 4).write(to: URL(fileURLWithPath: path))  // truncate
    #expect(throws: SafeTensors.Error.self) { try SafeTensors.read(path) }
  }

  @Test func resumeIsBitIdenticalToAnUninterruptedRun() throws {
    var options = TrainingOptions(steps: 12, batchSize: 4)
    (options.warmupSteps, options.learningRate, options.evalBatches) = (3, 3e-3, 2)
    var dropout = config
    dropout.dropout = 0.1  // the dropout generator must resume too
    let (train, validation) = (stream(2000, seed: 2), stream(400, seed: 3))
    let straight = Trainer(model: GPT(dropout, seed: 5), train: train, validation: validation, options: options)
    let all = try (0..<12).map { _ in try straight.trainStep().loss }

    let first = Trainer(model: GPT(dropout, seed: 5), train: train, validation: validation, options: options)
    var losses = try (0..<5).map { _ in try first.trainStep().loss }
    let folder = temporaryFolder()
    try Checkpoint.save(
      model: first.model, optimizer: first.optimizer, state: first.checkpointState(corpusFingerprint: "x"),
      tokenizer: CharTokenizer(corpus: "ab"), to: folder)
    let second = Trainer(model: GPT(dropout, seed: 99), train: train, validation: validation, options: options)
    _ = try second.resume(from: folder)
    #expect(second.step == 5)
    losses += try (0..<7).map { _ in try second.trainStep().loss }
    #expect(losses == all, "resumed losses must equal the uninterrupted run bit for bit")
  }

  @Test func aCheckpointOfAnotherShapeIsRefusedInOneLine() throws {
    let options = TrainingOptions(steps: 1, batchSize: 2)
    let trainer = Trainer(
      model: GPT(config), train: stream(500, seed: 4), validation: stream(100, seed: 5), options: options)
    let folder = temporaryFolder()
    try Checkpoint.save(
      model: trainer.model, optimizer: trainer.optimizer, state: trainer.checkpointState(corpusFingerprint: "x"),
      tokenizer: CharTokenizer(corpus: "ab"), to: folder)
    var wider = config
    wider.channels = 32
    let other = Trainer(
      model: GPT(wider), train: stream(500, seed: 4), validation: stream(100, seed: 5), options: options)
    #expect {
      try other.resume(from: folder)
    } throws: { error in
      "\(error)".contains(
        "is a V 17, T 8, 2 layers, 2 heads, C 16 model but this run builds a V 17, T 8, 2 layers, 2 heads, C 32")
    }
    let loaded = try Checkpoint.loadModel(folder)
    #expect(
      loaded.config == config
        && loaded.parameters.tensor("transformer.wte.weight")
          == trainer.model.parameters.tensor("transformer.wte.weight")
    )
  }

  @Test func aDivergingRunStopsWithAClearError() {
    var options = TrainingOptions(steps: 5, batchSize: 2)
    options.learningRate = .nan
    let trainer = Trainer(
      model: GPT(config), train: stream(500, seed: 6), validation: stream(100, seed: 7), options: options)
    #expect(throws: NonFiniteLoss.self) { for _ in 0..<3 { try trainer.trainStep() } }
  }
}
