// Chapter 05: the transformer block and the whole GPT. Read book/05-block.md alongside.
//
// LayerNorm, GELU, the 4x MLP and residual connections make a block; blocks, embeddings and
// a tied output layer make a GPT. The chapter counts its parameters, proves its whole
// backward right tensor by tensor, and checks where its loss starts.

import Exercises
import Foundation
import GPTKit
import Solutions

/// What this chapter can be told, read once and checked before any work; `--help` is
/// printed from the option below. `--quick` shortens section 6's SGD run.
struct Options {
  static let data = Setting(
    "data", "the text for the real-data checks", default: Corpus.shakespeare, placeholder: "PATH")
  static let all: [Option] = [data.option]

  var dataPath: String
  /// Section 6: plain SGD steps on one batch, and how many of the batch's rows it uses.
  var sgdSteps = 30
  var sgdRows = 8

  init(_ args: Arguments) {
    dataPath = args[Self.data]
    if args.flag("quick") { (sgdSteps, sgdRows) = (6, 2) }  // the quick preset
  }
}

let args = Arguments.parseOrExit(
  "ch05-block", summary: "Chapter 05: the transformer block and the whole GPT, verified.",
  options: Options.all + [Pieces.flag.option])
let options = Options(args)
// Section 5's text, read first so that a bad --data is refused before any work.
let tokens: [Int32]
let windows: TokenWindows
do {
  tokens = try TrainingText.load(options.dataPath).tokens
  windows = TokenWindows(tokens, contextLength: 64, stride: 64)
  try windows.requireBatch(of: 8, from: options.dataPath, fix: "")
} catch { fail("\(error)") }
let report = ChapterReport("05 block")
/// `--mine`: your exercises 5.2 and 5.3 (Sources/Exercises) in section 1.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
mine?.announceBlock(report)
var rng = SplitMix64(seed: 5)

// MARK: 1. LayerNorm
report.section("1. LayerNorm: each position normalised on its own")
let rows = Tensor.randn([4, 64], mean: 3, std: 5, rng: &rng)
/// The library's LayerNorm, or exercise 5.2 under `--mine`.
@MainActor func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
  mine?.layerNorm(x, weight: weight, bias: bias) ?? LayerNorm.forward(x, weight: weight, bias: bias).out
}
let normTag = mine?.tag(["5.2": mine?.layerNormForward != nil]) ?? ""
let normed = layerNorm(rows, weight: Tensor(shape: [64], repeating: 1), bias: Tensor(shape: [64]))
let stats = (0..<4).map { r -> (Float, Float) in
  let row = normed.storage[(r * 64)..<(r * 64 + 64)]
  let mean = row.reduce(0, +) / 64
  return (mean, row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 64)
}
report.check(
  "every row comes out with mean 0 and variance 1 (rows of mean 3, std 5 in)" + normTag,
  stats.allSatisfy { abs($0.0) < 1e-5 && abs($0.1 - 1) < 1e-3 })
var otherRows = rows
for c in 0..<64 { otherRows[3, c] *= 10 }
let normedAgain = layerNorm(otherRows, weight: Tensor(shape: [64], repeating: 1), bias: Tensor(shape: [64]))
report.check(
  "changing another row leaves a row's output bit-identical (BatchNorm would mix the batch)" + normTag,
  Array(normedAgain.storage[0..<192]) == Array(normed.storage[0..<192]))

// MARK: 2. GELU
report.section("2. GELU: a smooth ReLU")
let grid = Tensor(shape: [801], storage: (0...800).map { Float($0) / 100 - 4 })
let gelu = GELU.forward(grid)
let (dip, at) = zip(gelu.storage, grid.storage).min { $0.0 < $1.0 }!
report.info("x:       -3      -1    -0.5      0     0.5      1      3")
report.info(
  "relu:  "
    + [-3, -1, -0.5, 0, 0.5, 1, 3].map {
      max(0, $0).formatted(decimals: 3).padding(toLength: 7, withPad: " ", startingAt: 0)
    }.joined())
report.info(
  "gelu:  "
    + [-3, -1, -0.5, 0, 0.5, 1, 3].map {
      let y = Double(GELU.forward(Tensor(shape: [1], storage: [Float($0)])).storage[0])
      return y.formatted(decimals: 3).padding(toLength: 7, withPad: " ", startingAt: 0)
    }.joined())
report.check(
  "GELU dips to \(dip.formatted(decimals: 3)) at x = \(at.formatted(decimals: 2)) and is smooth; "
    + "ReLU is flat below 0 and kinked at 0",
  abs(dip + 0.170) < 0.001 && abs(at + 0.75) < 0.02)

// MARK: 3. A block, then the GPT
report.section("3. the GPT: embeddings, L blocks, final LayerNorm, tied output layer")
let small = GPTConfig(vocabularySize: 65, contextLength: 64, layerCount: 4, headCount: 4, channels: 128)
let model = GPT(small)
let (V, T, C, L) = (small.vocabularySize, small.contextLength, small.channels, small.layerCount)
let perBlock = 12 * C * C + 13 * C
report.info("config A: V \(V), T \(T), \(counted(L, "layer")), \(counted(small.headCount, "head")), C \(C)")
report.info("  wte (V, C)                  \(V * C)")
report.info("  wpe (T, C)                  \(T * C)")
report.info(
  "  per block: attention 4C²+4C \(4 * C * C + 4 * C), MLP 8C²+5C \(8 * C * C + 5 * C), two LayerNorms 4C \(4 * C)")
report.info("  \(L) blocks x (12C²+13C)       \(L * perBlock)")
report.info("  final LayerNorm 2C          \(2 * C)")
report.check(
  "the model has \(model.parameterCount) parameters = V·C + T·C + L·(12C²+13C) + 2C = \(small.parameterCount)",
  model.parameterCount == small.parameterCount && small.parameterCount == V * C + T * C + L * perBlock + 2 * C)
report.check(
  "tying the output layer to wte saves V·C = \(V * C): untied it would be \(small.parameterCount + V * C)",
  model.layout.entries.allSatisfy { !$0.name.contains("lm_head") })
report.check(
  "GPT-2 small (V 50257, T 1024, 12 x 768) has \(GPTConfig.gpt2Small.parameterCount) parameters, the famous 124M",
  GPTConfig.gpt2Small.parameterCount == 124_439_808)

// MARK: 4. The whole backward, tensor by tensor
report.section("4. the whole backward, checked tensor by tensor (llm.c style)")
let tiny = GPTConfig(vocabularySize: 11, contextLength: 6, layerCount: 2, headCount: 2, channels: 16)
let checked = GPT(tiny, seed: 11)
let xs = (0..<12).map { _ in Int32(rng.nextInt(below: 11)) }
let ys = (0..<12).map { _ in Int32(rng.nextInt(below: 11)) }
var worstTensor = ("", 0.0)
for (name, relative) in GradientCheck.wholeModel(checked, inputs: xs, targets: ys, B: 2, T: 6) {
  if relative > worstTensor.1 { worstTensor = (name, relative) }
  let shape = checked.layout.entry(name).shape
  report.info(
    "\(name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(shape) rel err \(relative.formatted(significant: 2))")
}
report.check(
  "all \(checked.layout.entries.count) parameter tensors of a 2-layer GPT pass (worst: \(worstTensor.0))",
  worstTensor.1 < 2e-2)

// MARK: 5. Where the loss starts
report.section("5. an untrained GPT's loss is ln(V)")
var loader = DataLoader(windows, batchSize: 8, seed: 5)
let batch = loader.nextBatch()
for V in [65, 512] {
  let config = GPTConfig(vocabularySize: V, contextLength: 64, layerCount: 2, headCount: 4, channels: 64)
  let x = batch.x.map { $0 % Int32(V) }
  let y = batch.y.map { $0 % Int32(V) }
  let loss = GPT(config).forward(inputs: x, targets: y, B: 8, T: 64)!
  let lnV = log(Float(V))
  report.check(
    "V = \(V): initial loss \(loss.formatted(decimals: 3)) vs ln(\(V)) = \(lnV.formatted(decimals: 3)) (within 0.3)",
    abs(loss - lnV) < 0.3)
}

// MARK: 6. It can learn
report.section("6. a few gradient steps on one batch lower the loss")
let (sgdSteps, sgdRows) = (options.sgdSteps, options.sgdRows)
let rowsOfBatch = Array(batch.x.prefix(sgdRows * 64)), targetsOfBatch = Array(batch.y.prefix(sgdRows * 64))
let learner = GPT(GPTConfig(vocabularySize: 512, contextLength: 64, layerCount: 2, headCount: 4, channels: 64))
var trace: [Float] = []
for _ in 0..<sgdSteps {
  learner.zeroGradients()
  trace.append(learner.forward(inputs: rowsOfBatch, targets: targetsOfBatch, B: sgdRows, T: 64)!)
  learner.backward()
  for i in 0..<learner.parameterCount { learner.parameters.base[i] -= 0.5 * learner.gradients.base[i] }  // plain SGD
}
let (firstLoss, lastLoss) = (trace[0].formatted(decimals: 3), trace.last!.formatted(decimals: 3))
report.info("\(sgdSteps) SGD steps on one batch of \(sgdRows) x 64 BPE-512 tokens: loss \(firstLoss) -> \(lastLoss)")
report.check("plain SGD on one batch lowers the loss by more than 0.3 nats", trace.last! < trace[0] - 0.3)
report.finish()
