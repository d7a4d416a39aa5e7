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

  /// Every parameter, three steps, a count that is not a multiple of 16: the same bits as
  /// the formulas applied one number at a time. At width 76 the MLP's matrices (76 x 304)
  /// are cut into two pieces of the update each, and the model is large enough to use threads.
  @Test(arguments: [12, 76])
  func vectorisedAdamWGivesTheScalarFormulasBits(channels: Int) {
    let layout = ParameterLayout(
      GPTConfig(vocabularySize: 19, contextLength: 8, layerCount: 2, headCount: 2, channels: channels))
    #expect(layout.count % 16 != 0)
    #expect(channels == 12 || layout.count >= 1 << 16 && 4 * channels * channels > 1 << 14)
    let (p, g) = (ParameterBuffer(layout), ParameterBuffer(layout))
    var rng = SplitMix64(seed: 2)
    for i in 0..<layout.count { p.base[i] = rng.nextNormal() }
    var (want, m, v) = (
      Array(UnsafeBufferPointer(start: p.base, count: layout.count)), [Float](repeating: 0, count: layout.count),
      [Float](repeating: 0, count: layout.count)
    )
    let adam = AdamW(layout, weightDecay: 0.1)
    for step in 1...3 {
      for i in 0..<layout.count { g.base[i] = rng.nextNormal() }
      adam.update(p, gradients: g, lr: 0.01)
      let (c1, c2) = (1 - pow(adam.beta1, Float(step)), 1 - pow(adam.beta2, Float(step)))
      for i in 0..<layout.count {
        m[i] = adam.beta1 * m[i] + (1 - adam.beta1) * g.base[i]
        v[i] = adam.beta2 * v[i] + (1 - adam.beta2) * g.base[i] * g.base[i]
        want[i] -= 0.01 * (m[i] / c1) / ((v[i] / c2).squareRoot() + adam.epsilon)
      }
      for e in layout.entries where AdamW.decays(e) {
        for i in e.offset..<(e.offset + e.count) { want[i] *= 1 - 0.01 * 0.1 }
      }
    }
    #expect(Array(UnsafeBufferPointer(start: p.base, count: layout.count)) == want)
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

  /// A one-step trainer whose model has `vocabularySize` token ids, to save beside a tokenizer.
  func sizedTrainer(vocabularySize V: Int) -> Trainer {
    var sized = config
    sized.vocabularySize = V
    return Trainer(
      model: GPT(sized), train: stream(500, seed: 4), validation: stream(100, seed: 5),
      options: TrainingOptions(steps: 1, batchSize: 2))
  }

  @Test func aCheckpointCarriesItsTokenizerForUsAndForHuggingFace() throws {
    let bpe = try BPETrainer.train(String(repeating: "to be or not to be, ", count: 40), vocabularySize: 266)
    let corpus = "abc de"
    for tokenizer in [bpe, CharTokenizer(corpus: corpus)] as [TextTokenizer] {
      let trainer = sizedTrainer(vocabularySize: tokenizer.vocabularySize)
      let folder = temporaryFolder()
      try Checkpoint.save(
        model: trainer.model, optimizer: trainer.optimizer, state: trainer.checkpointState(corpusFingerprint: "x"),
        tokenizer: tokenizer, to: folder)
      let files = try Set(FileManager.default.contentsOfDirectory(atPath: folder))
      let ours = tokenizer is BPETokenizer ? ["bpe.tiktoken", "bpe.json"] : ["tokenizer-chars.json"]
      #expect(files.isSuperset(of: ours + ["tokenizer.json", "tokenizer_config.json", "config.json"]))
      let loaded = try Checkpoint.loadTokenizer(folder)
      #expect(loaded.identity == tokenizer.identity)
      // Hugging Face reads bos/eos from config.json, and assumes GPT-2's 50256 when they are missing.
      let config = try #require(
        JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/config.json")))
          as? [String: Any])
      if tokenizer is BPETokenizer {
        #expect(config["bos_token_id"] as? Int == 265 && config["eos_token_id"] as? Int == 265)
      } else {
        #expect(config["bos_token_id"] is NSNull && config["eos_token_id"] is NSNull)
      }
    }
  }

  /// A tokenizer with more ids than the model's `wte` has rows would index past the table:
  /// loading refuses it in one line instead of failing a precondition at the first forward.
  @Test func aTokenizerLargerThanItsModelIsRefused() throws {
    let trainer = Trainer(
      model: GPT(config), train: stream(500, seed: 4), validation: stream(100, seed: 5),
      options: TrainingOptions(steps: 1, batchSize: 2))
    let bpe = try BPETrainer.train(String(repeating: "to be or not to be, ", count: 40), vocabularySize: 266)
    let folder = temporaryFolder()
    try Checkpoint.save(
      model: trainer.model, optimizer: trainer.optimizer, state: trainer.checkpointState(corpusFingerprint: "x"),
      tokenizer: bpe, to: folder)
    #expect {
      try Checkpoint.loadTokenizer(folder)
    } throws: {
      "\($0)".hasSuffix(
        "holds a tokenizer of 266 tokens for a model of 17: the checkpoint is inconsistent, train again")
    }
  }

  @Test func aCheckpointFromBeforeHuggingFaceTokenizersStillLoads() throws {
    let bpe = try BPETrainer.train(String(repeating: "to be or not to be, ", count: 40), vocabularySize: 266)
    let trainer = sizedTrainer(vocabularySize: bpe.vocabularySize)
    let folder = temporaryFolder()
    try Checkpoint.save(
      model: trainer.model, optimizer: trainer.optimizer, state: trainer.checkpointState(corpusFingerprint: "x"),
      tokenizer: bpe, to: folder)
    // The old layout: the rank file as tokenizer.tiktoken, its sidecar as tokenizer.json, no bos/eos.
    let fm = FileManager.default
    for name in ["tokenizer.json", "tokenizer_config.json"] { try fm.removeItem(atPath: "\(folder)/\(name)") }
    try fm.moveItem(atPath: "\(folder)/bpe.tiktoken", toPath: "\(folder)/tokenizer.tiktoken")
    try fm.moveItem(atPath: "\(folder)/bpe.json", toPath: "\(folder)/tokenizer.json")
    let path = "\(folder)/config.json"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    try text.split(separator: "\n").filter { !$0.contains("_token_id") }.joined(separator: "\n")
      .write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try Checkpoint.loadTokenizer(folder).identity == bpe.identity)
    #expect(try Checkpoint.loadModel(folder).config == trainer.model.config)
  }

  @Test func aDivergingRunStopsWithAClearError() {
    var options = TrainingOptions(steps: 5, batchSize: 2)
    options.learningRate = .nan
    let trainer = Trainer(
      model: GPT(config), train: stream(500, seed: 6), validation: stream(100, seed: 7), options: options)
    let error = #expect(throws: NonFiniteLoss.self) { for _ in 0..<3 { try trainer.trainStep() } }
    // Counted as the progress line counts: the step after the last one done.
    #expect(error?.step == trainer.step + 1, "\(error?.description ?? "")")
  }
}

@Suite("07 sampling")
struct SamplingTests {
  let model = GPT(GPTConfig(vocabularySize: 23, contextLength: 12, layerCount: 2, headCount: 2, channels: 16), seed: 8)

  @Test func oneRowProductsAreBitIdenticalToTheSameRowInABiggerOne() {
    var rng = SplitMix64(seed: 1)
    for (K, N, transposeB) in [(384, 1152, false), (777, 65, true), (5, 40, false)] {
      let a = Tensor.randn([7, K], rng: &rng)
      let b = Tensor.randn([K * N], rng: &rng)
      var full = Tensor(shape: [7, N])
      var one = Tensor(shape: [1, N])
      a.withPointer { pa in
        b.withPointer { pb in
          full.withMutablePointer {
            Matmul.gemm(M: 7, N: N, K: K, a: pa, b: pb, ldb: transposeB ? K : N, transposeB: transposeB, c: $0)
          }
          one.withMutablePointer {
            Matmul.gemm(M: 1, N: N, K: K, a: pa + 3 * K, b: pb, ldb: transposeB ? K : N, transposeB: transposeB, c: $0)
          }
        }
      }
      #expect(Array(full.storage[(3 * N)..<(4 * N)]) == one.storage, "K \(K), N \(N)")
    }
  }

  @Test(arguments: [
    SamplingOptions(temperature: 0), SamplingOptions(temperature: 1, seed: 3),
    SamplingOptions(temperature: 0.8, topK: 5, topP: 0.9, repetitionPenalty: 1.3, seed: 4),
  ])
  func cachedGenerationEqualsRecomputation(options: SamplingOptions) {
    let generator = Generator(model)
    let prompt: [Int32] = [1, 2, 3]
    let cached = generator.generate(prompt, count: 30, options: options)  // crosses the 12-token window twice
    let recomputed = generator.generate(prompt, count: 30, options: options, useCache: false)
    #expect(cached == recomputed)
    #expect(cached.count == 30)
  }

  /// Past 384 positions the attention product `att · V` splits its sum over keys into blocks.
  /// Recomputation runs the forward on exactly the window so far, whose length is the cache's
  /// key count, so both split the same way.
  @Test func cachedGenerationEqualsRecomputationPastOneKBlock() {
    let long = GPT(
      GPTConfig(vocabularySize: 11, contextLength: 420, layerCount: 1, headCount: 2, channels: 16), seed: 4)
    let options = SamplingOptions(temperature: 1, seed: 8)
    let generator = Generator(long)
    let cached = generator.generate([1], count: 440, options: options)  // 385 keys and more, then a slide
    #expect(cached == generator.generate([1], count: 440, options: options, useCache: false))
  }

  @Test func theCacheMatchesTheFullForwardBitForBit() {
    let tokens: [Int32] = [4, 9, 1, 22, 7, 7, 3]
    model.forward(inputs: tokens, B: 1, T: tokens.count)
    let full = Array(UnsafeBufferPointer(start: model.logits, count: tokens.count * 23))
    let cache = KVCache(model)
    for (t, token) in tokens.enumerated() {
      cache.append(token)
      #expect(Array(UnsafeBufferPointer(start: cache.logits, count: 23)) == Array(full[(t * 23)..<(t * 23 + 23)]))
    }
  }

  @Test func filtersKeepWhatTheyPromise() {
    let logits: [Float] = [2, 1, 0.5, 3, -1, 0]
    let k = Sampler.distribution(logits, previous: [], options: SamplingOptions(topK: 2))
    #expect(Set(k.indices.filter { k[$0] > 0 }) == [0, 3])
    let full = Sampler.distribution(logits, previous: [], options: SamplingOptions())
    let nucleus = Sampler.distribution(logits, previous: [], options: SamplingOptions(topP: 0.8))
    let kept = nucleus.indices.filter { nucleus[$0] > 0 }
    let order = full.indices.sorted { full[$0] > full[$1] }
    #expect(kept.sorted() == order.prefix(kept.count).sorted(), "top-p keeps the most likely tokens")
    #expect(
      order.prefix(kept.count).reduce(0) { $0 + full[$1] } >= 0.8
        && order.prefix(kept.count - 1).reduce(0) { $0 + full[$1] } < 0.8)
    #expect(abs(nucleus.reduce(0, +) - 1) < 1e-5)
    #expect(Sampler.distribution(logits, previous: [], options: SamplingOptions(temperature: 0)) == [0, 0, 0, 1, 0, 0])
    let penalised = Sampler.distribution(logits, previous: [3], options: SamplingOptions(repetitionPenalty: 2))
    #expect(penalised[3] < full[3])
    #expect(
      SamplingOptions(temperature: -1).problem != nil && SamplingOptions(topP: 0).problem != nil
        && SamplingOptions().problem == nil)
  }

  @Test func sameSeedSameTextAndGreedyIgnoresTheSeed() {
    let generator = Generator(model)
    let a = generator.generate([5], count: 20, options: SamplingOptions(seed: 1))
    #expect(a == generator.generate([5], count: 20, options: SamplingOptions(seed: 1)))
    #expect(a != generator.generate([5], count: 20, options: SamplingOptions(seed: 2)))
    #expect(
      generator.generate([5], count: 20, options: SamplingOptions(temperature: 0, seed: 1))
        == generator.generate([5], count: 20, options: SamplingOptions(temperature: 0, seed: 2)))
  }
}

@Suite("07 sampling: beam search")
struct BeamSearchTests {
  @Test func widthOneIsGreedyAndWiderIsAtLeastAsLikely() {
    let model = GPT(
      GPTConfig(vocabularySize: 23, contextLength: 12, layerCount: 1, headCount: 2, channels: 16), seed: 9)
    let greedy = Generator(model).generate([1, 2], count: 8, options: SamplingOptions(temperature: 0))
    #expect(BeamSearch.generate(model, prompt: [1, 2], count: 8, width: 1) == greedy)
    func logProbability(_ tokens: [Int32]) -> Double {
      var context: [Int32] = [1, 2]
      var total = 0.0
      for t in tokens {
        total += BeamSearch.logSoftmax(model.nextTokenLogits(context))[Int(t)]
        context.append(t)
      }
      return total
    }
    let beam = BeamSearch.generate(model, prompt: [1, 2], count: 8, width: 4)
    #expect(logProbability(beam) >= logProbability(greedy) - 1e-9)
  }
}
