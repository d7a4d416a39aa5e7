// Chapter 06: training. Read book/06-training.md alongside.
//
// A real GPT trained on the bundled Shakespeare in minutes: AdamW, warmup + cosine,
// clipping, periodic train/validation losses, checkpoints that resume bit for bit, a loss
// curve, and a first look at what the model writes.

import Exercises
import Foundation
import GPTKit
import Solutions

/// What this chapter can be told, read once and checked before any work. Each option's line
/// holds its default, its `--quick` value (a model that trains in seconds) and its range;
/// `--help` is printed from them. A value you give wins over the `--quick` value.
struct Options {
  static let data = Setting("data", "the text to train on", default: Corpus.shakespeare, placeholder: "PATH")
  static let tokenizer = Setting(
    "tokenizer", "bpe (chapter 01's, --vocab) or char", default: TrainingText.Tokenizer.bpe, among: [.bpe, .char])
  static let vocab = Setting("vocab", "BPE vocabulary size", default: 512, in: 257...65_536)
  static let steps = Setting("steps", "optimizer steps", default: 1500, quick: 150, in: 1...10_000_000)
  static let batch = Setting("batch", "sequences per micro-batch", default: 16, quick: 8, in: 1...4096)
  static let accumulation = Setting(
    "accumulation", "micro-batches per step (gradient accumulation)", default: 1, in: 1...1024)
  static let lr = Setting("lr", "peak learning rate", default: 3e-3, quick: 1e-2, "a positive number") { $0 > 0 }
  static let context = Setting("context", "context length T in tokens", default: 128, quick: 64, in: 2...4096)
  static let layers = Setting("layers", "transformer blocks L", default: 4, quick: 2, in: 1...64)
  static let heads = Setting("heads", "attention heads", default: 6, quick: 4, in: 1...256)
  static let channels = Setting("channels", "width C (a multiple of --heads)", default: 192, quick: 64, in: 1...8192)
  static let dropout = Setting(
    "dropout", "dropout probability while training", default: 0.1, "a probability in [0, 1)"
  ) { $0 >= 0 && $0 < 1 }
  static let evalInterval = Setting(
    "eval-interval", "steps between loss estimates and checkpoints", default: 100, quick: 20, in: 1...1_000_000)
  static let seed = Setting("seed", "seed for initialisation and data order", default: 1337, in: 0...Int.max)
  // A quick run never touches the real run's folder: `swift test` runs chapters with --quick.
  static let out = Setting(
    "out", "folder for checkpoints and the loss curve", default: "runs/ch06", quick: "runs/ch06-quick",
    placeholder: "PATH")
  static let resume = Setting(flag: "resume", "continue the run saved in --out")
  static let all: [Option] = [
    data.option, tokenizer.option, vocab.option, steps.option, batch.option, accumulation.option, lr.option,
    context.option, layers.option, heads.option, channels.option, dropout.option, evalInterval.option,
    seed.option, out.option, resume.option,
  ]

  var dataPath: String
  var tokenizer: TrainingText.Tokenizer
  var vocabularySize: Int
  var steps: Int
  var batchSize: Int
  var accumulation: Int
  var learningRate: Float
  var contextLength: Int
  var layers: Int
  var heads: Int
  var channels: Int
  var dropout: Float
  var evalInterval: Int
  var seed: UInt64
  var out: String
  var resume: Bool
  // Not options, but set by the quick preset too.
  /// Batches averaged for each loss estimate.
  var evalBatches = 8
  /// The learning rate of the one-batch memorisation test (section 1).
  var overfitLearningRate: Float = 3e-3
  /// Tokens of the greedy sample at the end.
  var sampleTokens = 120

  init(_ args: Arguments) {
    (dataPath, tokenizer, vocabularySize) = (args[Self.data], args[Self.tokenizer], args[Self.vocab])
    (steps, batchSize, accumulation) = (args[Self.steps], args[Self.batch], args[Self.accumulation])
    (learningRate, dropout) = (Float(args[Self.lr]), Float(args[Self.dropout]))
    (contextLength, layers, heads, channels) = (
      args[Self.context], args[Self.layers], args[Self.heads], args[Self.channels]
    )
    (evalInterval, seed) = (args[Self.evalInterval], UInt64(args[Self.seed]))
    (out, resume) = (args[Self.out], args[Self.resume])
    requireWritableFolder(out)  // now, not at the first save minutes from now
    if args.flag("quick") { (evalBatches, overfitLearningRate, sampleTokens) = (2, 1e-2, 20) }  // the quick preset
    guard channels % heads == 0 else {
      fail("--channels (\(channels)) must be a multiple of --heads (\(heads))", code: 2)
    }
  }
}

let args = Arguments.parseOrExit(
  "ch06-training",
  summary: "Chapter 06: train a GPT on a laptop CPU, with checkpoints, resume and a loss curve.",
  options: Options.all + [Pieces.flag.option])
let options = Options(args)
/// `--mine`: your exercises 6.5-6.7 (Sources/Exercises) in place of the library's pieces.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
let out = options.out
let dataPath = options.dataPath
let data: TrainingText
do {
  data = try TrainingText.load(dataPath, tokenizer: options.tokenizer, vocabularySize: options.vocabularySize)
} catch {
  fail("\(error)")
}
let (corpus, tokenizer, tokens) = (data.text, data.tokenizer, data.tokens)
/// How the loss curve names the text, and the prompt of the closing sample: the play's first
/// line for Shakespeare, the first words of your own text otherwise.
let isShakespeare = dataPath == Corpus.shakespeare
let textName = isShakespeare ? "Shakespeare" : (dataPath as NSString).lastPathComponent
let opening = isShakespeare ? "First Citizen:\n" : String(corpus.prefix(while: { $0 != "\n" }).prefix(24))
let (trainTokens, validationTokens) = trainValidationSplit(tokens)
let charsPerToken = data.charactersPerToken

let config = GPTConfig(
  vocabularySize: tokenizer.vocabularySize, contextLength: options.contextLength, layerCount: options.layers,
  headCount: options.heads, channels: options.channels, dropout: options.dropout)
var training = TrainingOptions(steps: options.steps, batchSize: options.batchSize)
training.accumulation = options.accumulation
training.learningRate = options.learningRate
training.warmupSteps = max(1, min(100, training.steps / 10))
training.evalInterval = options.evalInterval
training.evalBatches = options.evalBatches
training.seed = options.seed
do {  // batches of B x T for training, 4 x T for section 1's one-batch test, 4 x 16 for section 3's
  for part in [trainTokens, validationTokens] {
    for (T, B) in [(config.contextLength, max(training.batchSize, 4)), (16, 4)] {
      try TokenWindows(part, contextLength: T, stride: T).requireBatch(
        of: B, from: dataPath, fix: "a smaller --batch or --context")
    }
  }
} catch { fail("\(error)") }
/// Tokens one optimizer step reads: B sequences of T, times the accumulated micro-batches.
let tokensPerStep = training.batchSize * training.accumulation * config.contextLength

let report = ChapterReport("06 training")
let experiment = [
  Options.steps.option, Options.lr.option, Options.layers.option, Options.channels.option,
  Options.heads.option, Options.context.option, Options.batch.option, Options.data.option,
]
.filter { args.isSet($0.name) }.map { "--\($0.name)" }
if !experiment.isEmpty {
  report.noteIfFailed =
    "the thresholds (memorising one batch below 1.5 nats in 40 steps, validation falling by 1 nat) are set for "
    + "the default model, text and steps; with \(experiment.joined(separator: ", ")) a correct model can miss "
    + "them"
}
let model = GPT(config, seed: training.seed)
let trainer = Trainer(model: model, train: trainTokens, validation: validationTokens, options: training)
mine?.announceTraining(report, schedule: trainer.schedule)
mine?.install(on: trainer)
let fingerprint = TokenizerStore.fingerprint(corpus) + "-" + tokenizer.identity
report.info(
  "\(tokenizer.identity) on \(dataPath): \(trainTokens.count) train / \(validationTokens.count) validation tokens, "
    + "\(charsPerToken.formatted(decimals: 2)) characters per token")
report.info(
  "model: \(counted(config.layerCount, "layer")), \(counted(config.headCount, "head")), "
    + "C \(config.channels), T \(config.contextLength): "
    + "\(model.parameterCount) parameters")
let totalTokens = training.steps * tokensPerStep
let epochs = (Double(totalTokens) / Double(trainTokens.count)).formatted(decimals: 1)
let tokensPerParameter = (Double(totalTokens) / Double(model.parameterCount)).formatted(decimals: 2)
report.info(
  "\(training.steps) steps x \(training.batchSize * training.accumulation) x \(config.contextLength) tokens "
    + "= \(totalTokens) tokens (\(epochs) epochs, \(tokensPerParameter) tokens per parameter)")

/// Per-token loss in nats -> nats and bits per character, so BPE and char runs compare.
func perCharacter(_ loss: Float) -> String {
  let nats = Double(loss) / charsPerToken
  return "\(nats.formatted(decimals: 3)) nats/char = \((nats / log(2)).formatted(decimals: 3)) bits/char"
}

// MARK: 1. The starting line and a sanity run
/// The step of the last checkpoint in `latest` that this run wrote or resumed from: what a
/// run that diverges can truthfully say is on disk.
var savedStep: Int? = nil
if options.resume {
  do {
    let state = try trainer.resume(from: "\(out)/latest", corpusFingerprint: fingerprint)
    savedStep = state.step
    report.info("resumed \(out)/latest at step \(state.step) of \(training.steps)")
    if state.options.steps != training.steps {
      report.info("--steps was \(state.options.steps): the learning-rate schedule now decays over \(training.steps)")
    }
  } catch { fail("\(error)") }
} else {
  // A new run in a used --out: the old `best` is another run's, and must not stand for this one.
  for suffix in ["", ".old", ".tmp"] { try? FileManager.default.removeItem(atPath: "\(out)/best\(suffix)") }
  report.section("1. the starting line")
  let (_, initial) = trainer.evaluate()
  let (V, lnV) = (config.vocabularySize, log(Float(config.vocabularySize)))
  report.check(
    "step-0 validation loss \(initial.formatted(decimals: 3)) vs ln(\(V)) = \(lnV.formatted(decimals: 3)) (within 0.3)",
    abs(initial - lnV) < 0.3)
  // A model that cannot memorise one batch cannot learn anything: a classic first test.
  var one = training
  (one.steps, one.batchSize, one.warmupSteps, one.learningRate, one.evalBatches) =
    (40, 4, 5, options.overfitLearningRate, 1)
  var overfitConfig = config
  overfitConfig.dropout = 0
  let single = Trainer(
    model: GPT(overfitConfig, seed: 7), train: Array(trainTokens.prefix(config.contextLength * 4 + 1)),
    validation: validationTokens, options: one)
  mine?.install(on: single)
  var memorised: [Float] = []
  do { for _ in 0..<40 { memorised.append(try single.trainStep().loss) } } catch { fail("\(error)") }
  report.info(
    "one batch, 40 steps: loss \(memorised[0].formatted(decimals: 2)) -> \(memorised[39].formatted(decimals: 2))")
  report.check("the model memorises a single batch: loss falls below 1.5 nats in 40 steps", memorised[39] < 1.5)
}

// MARK: 2. Training
report.section("2. training")
if trainer.history.isEmpty { trainer.record() }
let startValidation = trainer.history.first!.validationLoss
let startStep = trainer.step
var progress = ProgressLine(total: training.steps, from: startStep, interval: 15)
let started = monotonicSeconds()
do {
  while trainer.step < training.steps {
    let (loss, _, _) = try trainer.trainStep()
    let elapsed = monotonicSeconds() - started
    let tokensPerSecond = Double((trainer.step - startStep) * tokensPerStep) / max(elapsed, 1e-9)
    let lastEstimate = trainer.history.last!  // validation is estimated every --eval-interval steps
    progress.update(
      trainer.step,
      "train \(loss.formatted(decimals: 3)) | val \(lastEstimate.validationLoss.formatted(decimals: 3)) "
        + "(at step \(lastEstimate.step)) | \((tokensPerSecond / 1000).formatted(decimals: 1))k tok/s")
    if trainer.step % training.evalInterval == 0 || trainer.step == training.steps {
      let (_, improved) = trainer.record()
      let state = trainer.checkpointState(corpusFingerprint: fingerprint)
      // `best` first: a kill between the two saves leaves a `latest` that reaches this step
      // again when resumed, and saves the same `best` again.
      if improved {
        try Checkpoint.save(
          model: model, optimizer: trainer.optimizer, state: state, tokenizer: tokenizer, to: "\(out)/best")
      }
      try Checkpoint.save(
        model: model, optimizer: trainer.optimizer, state: state, tokenizer: tokenizer, to: "\(out)/latest")
      savedStep = trainer.step
    }
  }
} catch let error as NonFiniteLoss {
  progress.finish()
  let onDisk = savedStep.map { "\(out)/latest holds step \($0), saved before it" } ?? "no checkpoint was saved"
  fail("\(error.description): lower --lr; \(onDisk)")
} catch { fail("\(error)") }
progress.finish()
let elapsed = monotonicSeconds() - started
let final = trainer.history.last!
let speed = (Double((trainer.step - startStep) * tokensPerStep) / elapsed / 1000).formatted(decimals: 1)
report.info("trained \(trainer.step - startStep) steps in \(formatDuration(elapsed)): \(speed)k tok/s")
report.info(
  "final: train \(final.trainLoss.formatted(decimals: 3)), validation \(final.validationLoss.formatted(decimals: 3)) "
    + "nats/token = \(perCharacter(final.validationLoss))")
let bestLoss = trainer.bestValidationLoss
let bestSaved = Checkpoint.exists("\(out)/best") ? "saved in \(out)/best" : "step 0's, so no \(out)/best"
report.info("best validation: \(bestLoss.formatted(decimals: 3)) nats/token = \(perCharacter(bestLoss)), \(bestSaved)")
report.check(
  "validation loss fell by more than 1 nat: "
    + "\(startValidation.formatted(decimals: 2)) -> \(final.validationLoss.formatted(decimals: 2))",
  final.validationLoss < startValidation - 1)

// MARK: 3. The curve
let curve = SVG.lineChart(
  [
    SVG.Series("train", trainer.history.map { (Double($0.tokens) / 1e6, Double($0.trainLoss)) }),
    SVG.Series("validation", trainer.history.map { (Double($0.tokens) / 1e6, Double($0.validationLoss)) }),
  ], title: "Training \(model.parameterCount / 1000)k-parameter GPT on \(textName) (\(tokenizer.identity))",
  xLabel: "tokens seen (millions)", yLabel: "cross-entropy (nats per token)")
try? SVG.write(curve, to: "\(out)/loss.svg")
if args.isTheBookRun("book/06-training.md") {
  try? SVG.write(curve, to: "book/figures/06-loss.svg")
}
print(TerminalPlot.render(trainer.history.map { Double($0.validationLoss) }, label: "validation loss"))

// MARK: 4. Resume is exact
report.section("3. resuming reproduces the uninterrupted run")
do {
  let small = GPTConfig(
    vocabularySize: config.vocabularySize, contextLength: 16, layerCount: 1, headCount: 2, channels: 16, dropout: 0.1)
  var o = TrainingOptions(steps: 8, batchSize: 4)
  o.warmupSteps = 2
  let straight = Trainer(model: GPT(small), train: trainTokens, validation: validationTokens, options: o)
  let uninterrupted = try (0..<8).map { _ in try straight.trainStep().loss }
  let first = Trainer(model: GPT(small), train: trainTokens, validation: validationTokens, options: o)
  var resumed = try (0..<4).map { _ in try first.trainStep().loss }
  let folder = "\(out)/resume-check"
  try Checkpoint.save(
    model: first.model, optimizer: first.optimizer, state: first.checkpointState(corpusFingerprint: fingerprint),
    tokenizer: tokenizer, to: folder)
  let second = Trainer(model: GPT(small, seed: 999), train: trainTokens, validation: validationTokens, options: o)
  _ = try second.resume(from: folder)
  resumed += try (0..<4).map { _ in try second.trainStep().loss }
  try? FileManager.default.removeItem(atPath: folder)
  report.check(
    "8 steps with a save and reload after 4 give bit-identical losses to 8 straight steps", resumed == uninterrupted)
} catch { fail("\(error)") }

// MARK: 5. What it writes
report.section("4. a first look at what it writes (greedy; chapter 07 samples properly)")
let best = (try? Checkpoint.loadModel("\(out)/best")) ?? model
let prompt = (try? tokenizer.encodeText(opening)) ?? [0]
let written = best.greedy(prompt.map(Int32.init), count: options.sampleTokens)
print(tokenizer.decode(prompt + written.map(Int.init)))
mine?.compareEmbeddings(fresh: GPT(config, seed: training.seed), trained: best, tokenizer: tokenizer, report: report)
report.finish()
