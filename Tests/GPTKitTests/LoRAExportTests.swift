import Foundation
import Testing

@testable import GPTKit

/// Chapter 09's model grows four chat tokens, keeps what it knew, and leaves as files that
/// Hugging Face and PEFT load.
@Suite("09 LoRA: vocabulary growth and export")
struct LoRAExportTests {
  static let config = GPTConfig(vocabularySize: 11, contextLength: 8, layerCount: 2, headCount: 2, channels: 16)
  static let x = LoRATests.tokens(16, seed: 11)

  /// The committed BPE-512 (`<|endoftext|>` is 511) with the turn tokens at 512-515, as
  /// chapter 09's chat format extends it.
  static let chatTokenizer: BPETokenizer = {
    let bpe = HuggingFaceTokenizerTests.bpe
    var specials = bpe.specialTokens
    for (i, token) in HuggingFaceChatTemplate.turnTokens.enumerated() { specials[token] = bpe.vocabularySize + i }
    return BPETokenizer(
      ranks: (0..<bpe.rankCount).map { bpe.bytes(of: $0) }, pattern: bpe.pattern, specialTokens: specials)
  }()

  /// The workbook's rendering of a conversation: `<|endoftext|>`, then each turn in its tokens.
  static func render(_ messages: [(role: String, content: String)], prompt: Bool = false) -> [Int] {
    let (t, s) = (chatTokenizer, chatTokenizer.specialTokens)
    var ids = [s["<|endoftext|>"]!]
    for m in messages {
      let (start, end) =
        m.role == "user" ? ("<|user_start|>", "<|user_end|>") : ("<|assistant_start|>", "<|assistant_end|>")
      ids += [s[start]!] + t.encodeOrdinary(m.content) + [s[end]!]
    }
    return ids + (prompt ? [s["<|assistant_start|>"]!] : [])
  }

  static func temporaryFolder(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(name)-\(getpid())").path
    try? FileManager.default.removeItem(atPath: folder)
    return folder
  }

  @Test func aGrownModelKeepsTheOldLogitsAndGivesNewTokensTheMeanLogit() {
    let base = GPT(Self.config, seed: 10)
    let grown = base.growingVocabulary(by: 4)
    #expect(grown.config.vocabularySize == 15 && grown.parameterCount == base.parameterCount + 4 * 16)
    let (old, new) = (LoRATests.logits(base, Self.x, B: 2, T: 8), LoRATests.logits(grown, Self.x, B: 2, T: 8))
    for row in 0..<16 {
      let (o, n) = (Array(old[(row * 11)..<(row * 11 + 11)]), Array(new[(row * 15)..<(row * 15 + 15)]))
      #expect(Array(n[..<11]) == o, "the old ids' logits are the old model's, bit for bit")
      let mean = o.reduce(0, +) / 11
      #expect(n[11...].allSatisfy { abs($0 - mean) < 1e-5 }, "a new token's logit is the mean logit")
      // Over the old ids, the probabilities are the old ones, renormalised.
      let (po, pn) = (softmax(o), softmax(n))
      let oldShare = pn[..<11].reduce(0, +)
      #expect(zip(po, pn[..<11]).allSatisfy { abs($0 * oldShare - $1) < 1e-6 })
    }
  }

  @Test func aSpreadGivesTheNewRowsDifferentValuesAndLeavesTheOldRows() {
    let base = GPT(Self.config, seed: 10)
    let (plain, spread) = (base.growingVocabulary(by: 4), base.growingVocabulary(by: 4, spread: 1))
    let C = 16
    func row(_ model: GPT, _ v: Int) -> [Float] {
      Array(UnsafeBufferPointer(start: model.weights.wte + v * C, count: C))
    }
    #expect(row(plain, 11) == row(plain, 14), "at the mean, the new rows are one and the same")
    #expect(Set((11..<15).map { row(spread, $0) }).count == 4)
    #expect((0..<11).allSatisfy { row(spread, $0) == row(base, $0) })
  }

  /// Why `spread` exists: under a frozen base, new rows left at the mean stay one and the same
  /// vector, so LoRA can never give one chat token a different logit from another.
  @Test(arguments: [Float(0), 1])
  func loraAloneSeparatesTheNewTokensOnlyIfTheirRowsDiffer(spread: Float) throws {
    let model = GPT(Self.config, seed: 10).growingVocabulary(by: 4, spread: spread)
    let lora = LoRAAdapters(for: model, rank: 4)
    lora.install(on: model)
    let y = Self.x.enumerated().map { Int32(11 + $0.offset % 4) }  // teach it the four new ids
    var options = TrainingOptions(steps: 20, batchSize: 2)
    options.warmupSteps = 1
    let trainer = Trainer(
      model: model, batches: FixedBatches(list: [Batch(x: Self.x, y: y, B: 2, T: 8)]), trainProbe: [],
      validationProbe: [], options: options, trainable: lora.trainable)
    for _ in 0..<20 { try trainer.trainStep() }
    let logits = LoRATests.logits(model, Self.x, B: 2, T: 8)
    let spreads = (0..<16).map { row in
      let new = logits[(row * 15 + 11)..<(row * 15 + 15)]
      return new.max()! - new.min()!
    }
    if spread == 0 {
      #expect(spreads.allSatisfy { $0 == 0 }, "identical frozen rows give identical logits")
    } else {
      #expect(spreads.max()! > 0.1, "distinct rows can be told apart: \(spreads.max()!)")
    }
  }

  @Test func aGrownModelAndItsChatTokenizerRoundTripThroughACheckpoint() throws {
    let folder = Self.temporaryFolder("grown")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var config = Self.config
    config.vocabularySize = 512
    let grown = GPT(config, seed: 10).growingVocabulary(by: 4, spread: 1)
    try Checkpoint.export(model: grown, tokenizer: Self.chatTokenizer, to: folder)
    let loaded = try Checkpoint.loadModel(folder)
    #expect(loaded.config == grown.config && loaded.config.vocabularySize == 516)
    #expect((0..<grown.parameterCount).allSatisfy { loaded.parameters.base[$0] == grown.parameters.base[$0] })
    let tokenizer = try #require(try Checkpoint.loadTokenizer(folder) as? BPETokenizer)
    #expect(
      tokenizer.specialTokens == Self.chatTokenizer.specialTokens && tokenizer.specialTokens["<|assistant_end|>"] == 515
    )
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/tokenizer_config.json"))
    let hf = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(hf["additional_special_tokens"] as? [String] == HuggingFaceChatTemplate.turnTokens)
    #expect(hf["chat_template"] as? String == HuggingFaceChatTemplate.jinja)
    let plain = try HuggingFaceTokenizer.files(for: HuggingFaceTokenizerTests.bpe, contextLength: 8)
    #expect(!String(decoding: plain["tokenizer_config.json"]!, as: UTF8.self).contains("chat_template"))
  }

  @Test func adaptersRoundTripThroughAPEFTFolder() throws {
    let folder = Self.temporaryFolder("adapter")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let lora = LoRATests.trainedAdapters(GPT(Self.config), rank: 4, alpha: 16)
    try AdapterCheckpoint.save(lora, baseModel: "runs/ch06/best", to: folder)
    let again = LoRAAdapters(Self.config, rank: 4, alpha: 16, seed: 99)
    try AdapterCheckpoint.load(folder, into: again)
    #expect((0..<lora.layout.count).allSatisfy { again.weights.base[$0] == lora.weights.base[$0] })
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/adapter_config.json"))
    let config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(config["peft_type"] as? String == "LORA" && config["fan_in_fan_out"] as? Bool == true)
    #expect(config["r"] as? Int == 4 && config["task_type"] as? String == "CAUSAL_LM")
    #expect(throws: Checkpoint.Error.self) {
      try AdapterCheckpoint.load(folder, into: LoRAAdapters(Self.config, rank: 2))
    }
  }

  // MARK: - Python

  /// Whether `python3` can import torch, transformers and peft.
  static let pythonHasPEFT: Bool = {
    guard let (status, _) = try? python(["-c", "import torch, transformers, peft"]) else { return false }
    return status == 0
  }()

  static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    (process.standardOutput, process.standardError) = (pipe, pipe)
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
  }

  /// A grown base with trained adapters, exported three ways (the base alone, the adapters
  /// as PEFT's folder, the merged model), with our ids and logits beside them in
  /// `case.json`. `INTEROP_OUT=folder` keeps the files there.
  static func writeInteropCase(to folder: String) throws {
    var config = GPTConfig(vocabularySize: 512, contextLength: 64, layerCount: 2, headCount: 2, channels: 32)
    let base = GPT(config, seed: 21)
    var rng = SplitMix64(seed: 22)  // weights far from the initialisation, so the logits are not all near 0
    for i in 0..<base.parameterCount { base.parameters.base[i] += 0.3 * rng.nextNormal() }
    let model = base.growingVocabulary(by: 4, spread: 1)
    config = model.config
    let lora = LoRATests.trainedAdapters(model, rank: 4, alpha: 8)
    try Checkpoint.export(model: model, tokenizer: chatTokenizer, to: "\(folder)/base")
    try AdapterCheckpoint.save(lora, baseModel: "\(folder)/base", to: "\(folder)/adapter")
    let messages = [
      ("user", "Who speaks: Before we proceed any further, hear me speak."), ("assistant", "First Citizen"),
      ("user", "And which play?"),
    ]
    let (ids, promptIds) = (render(messages), render(messages, prompt: true))
    let T = promptIds.count
    lora.install(on: model)
    let adapted = LoRATests.logits(model, promptIds.map(Int32.init), B: 1, T: T)
    lora.merge(into: model)
    let merged = LoRATests.logits(model, promptIds.map(Int32.init), B: 1, T: T)
    try Checkpoint.export(model: model, tokenizer: chatTokenizer, to: "\(folder)/merged")
    let json: [String: Any] = [
      "messages": messages.map { ["role": $0.0, "content": $0.1] }, "ids": ids, "prompt_ids": promptIds,
      "adapted_logits": adapted, "merged_logits": merged, "vocabulary_size": config.vocabularySize,
      "turn_tokens": HuggingFaceChatTemplate.turnTokens.map { chatTokenizer.specialTokens[$0]! },
    ]
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: "\(folder)/case.json"))
  }

  @Test(
    .enabled(if: pythonHasPEFT, "needs python3 with torch, transformers and peft (pip install torch transformers peft)")
  )
  func peftAndTransformersLoadTheExportsAndGiveOurLogitsAndIds() throws {
    let kept = ProcessInfo.processInfo.environment["INTEROP_OUT"]
    let folder = kept ?? Self.temporaryFolder("interop")
    defer { if kept == nil { try? FileManager.default.removeItem(atPath: folder) } }
    try Self.writeInteropCase(to: folder)
    let script = repositoryRoot.appendingPathComponent("Tests/Interop/peft_lora.py").path
    let (status, output) = try Self.python([script, folder])
    print(output)
    #expect(status == 0, "peft_lora.py: \(output)")
  }
}

private func softmax(_ logits: [Float]) -> [Float] {
  let top = logits.max()!
  let e = logits.map { exp(Double($0 - top)) }
  let sum = e.reduce(0, +)
  return e.map { Float($0 / sum) }
}
