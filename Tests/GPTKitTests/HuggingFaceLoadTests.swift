import Foundation
import Testing

@testable import GPTKit

/// Hugging Face GPT-2 folders load here and compute what transformers computes: the committed
/// fixtures (no Python needed) and, with torch and transformers installed, freshly written
/// random models of several shapes and dtypes (Tests/Interop/hf_models.py).
@Suite("07 loading Hugging Face GPT-2")
struct HuggingFaceLoadTests {
  static let fixtures = repositoryRoot.appendingPathComponent("Tests/GPTKitTests/Fixtures/gpt2").path

  struct Expected: Decodable {
    var texts: [String]
    var ids: [[Int]]
    var prompt_ids: [Int32]
    var logits: [Float]
    var greedy: [Int32]
    var untied: Bool
  }

  /// What our loader makes of `folder`, against its expected.json: the same ids for every
  /// text, the prompt's logits within 1e-4, the same 50 greedy tokens (cached and not).
  static func check(_ folder: String) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/expected.json"))
    let expected = try JSONDecoder().decode(Expected.self, from: data)
    let model = try Checkpoint.loadModel(folder)
    let tokenizer = try Checkpoint.loadTokenizer(folder)
    #expect(model.isTied == !expected.untied, "\(folder)")
    for (text, ids) in zip(expected.texts, expected.ids) {
      #expect(try tokenizer.encodeText(text) == ids, "\(folder): \(text.debugDescription)")
      #expect(tokenizer.decode(ids) == text)
    }
    let T = expected.prompt_ids.count
    model.forward(inputs: expected.prompt_ids, B: 1, T: T)
    let logits = UnsafeBufferPointer(start: model.logits, count: T * model.config.vocabularySize)
    #expect(logits.count == expected.logits.count)
    let error = zip(logits, expected.logits).map { abs($0 - $1) }.max() ?? .infinity
    #expect(error < 1e-4, "\(folder): logits differ by \(error)")
    let generator = Generator(model)
    let greedy = SamplingOptions(temperature: 0)
    #expect(generator.generate(expected.prompt_ids, count: 50, options: greedy) == expected.greedy, "\(folder)")
    #expect(generator.generate(expected.prompt_ids, count: 50, options: greedy, useCache: false) == expected.greedy)
  }

  @Test func committedFixturesLoadAndMatchTransformers() throws {
    let cases = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).sorted()
    #expect(cases.count >= 2)
    for name in cases { try Self.check("\(Self.fixtures)/\(name)") }
  }

  @Test func theUntiedHeadIsWhatTheLogitsUse() throws {
    // The comparison is not vacuous: a loader that ignored the untied lm_head (and so used wte
    // as the output layer) would fail it.
    let folder = "\(Self.fixtures)/f16-untied-vocab-merges"
    let model = try Checkpoint.loadModel(folder)
    let expected = try JSONDecoder().decode(
      Expected.self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/expected.json")))
    let T = expected.prompt_ids.count
    model.forward(inputs: expected.prompt_ids, B: 1, T: T)
    let untiedLogits = Array(UnsafeBufferPointer(start: model.logits, count: T * model.config.vocabularySize))
    let asTied = GPT(model.config)
    asTied.parameters.base.update(from: model.parameters.base, count: model.parameterCount)
    asTied.forward(inputs: expected.prompt_ids, B: 1, T: T)
    let tiedLogits = Array(UnsafeBufferPointer(start: asTied.logits, count: T * model.config.vocabularySize))
    let untiedError = zip(untiedLogits, expected.logits).map { abs($0 - $1) }.max()!
    let tiedError = zip(tiedLogits, expected.logits).map { abs($0 - $1) }.max()!
    #expect(untiedError < 1e-4 && tiedError > 1e-2)
  }

  static let pythonHasTransformers: Bool = {
    guard let (status, _) = try? LoRAExportTests.python(["-c", "import torch, transformers, tokenizers"]) else {
      return false
    }
    return status == 0
  }()

  @Test(
    .enabled(if: pythonHasTransformers, "needs python3 with torch and transformers (pip install torch transformers)"))
  func randomTransformersModelsLoadAndMatch() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let script = repositoryRoot.appendingPathComponent("Tests/Interop/hf_models.py").path
    let (status, output) = try LoRAExportTests.python([script, folder])
    try #require(status == 0, "hf_models.py: \(output)")
    let names = try JSONDecoder().decode(
      [String].self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/cases.json")))
    #expect(names.count >= 4)
    for name in names { try Self.check("\(folder)/\(name)") }
  }
}

@Suite("07 perplexity")
struct PerplexityTests {
  @Test func aModelWithZeroLogitsHasThePerplexityOfAFairChoice() {
    let model = GPT(GPTConfig(vocabularySize: 23, contextLength: 8, layerCount: 1, headCount: 2, channels: 8))
    model.parameters.zero()  // lnF's gain 0: every logit is 0
    let tokens = (0..<30).map { Int32($0 % 23) }
    let (loss, count) = Perplexity.evaluate(model, tokens: tokens)
    #expect(count == 29 && abs(loss / Double(count) - log(23)) < 1e-5)
  }

  @Test func itIsTheMeanLossOfEachTokenGivenItsWindow() {
    let model = GPT(GPTConfig(vocabularySize: 17, contextLength: 8, layerCount: 2, headCount: 2, channels: 16), seed: 3)
    var rng = SplitMix64(seed: 4)
    for i in 0..<model.parameterCount { model.parameters.base[i] += 0.2 * rng.nextNormal() }
    let tokens = (0..<43).map { _ in Int32(rng.nextInt(below: 17)) }
    // By hand: windows of 8 inputs start at 0, 8, 16, ...; each token is predicted from its window.
    var total = 0.0
    for i in 1..<tokens.count {
      let start = (i - 1) / 8 * 8
      let logits = model.nextTokenLogits(Array(tokens[start..<i]))
      let top = logits.max()!
      let logSum = log(logits.reduce(0.0) { $0 + exp(Double($1 - top)) }) + Double(top)
      total += logSum - Double(logits[Int(tokens[i])])
    }
    let (loss, count) = Perplexity.evaluate(model, tokens: tokens)
    #expect(count == 42 && abs(loss - total) / total < 1e-5)
    // and with another window the figure differs: the windows matter
    #expect(abs(Perplexity.evaluate(model, tokens: tokens, window: 4).loss - total) / total > 1e-3)
  }
}
