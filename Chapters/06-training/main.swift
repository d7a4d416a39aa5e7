// Chapter 06: training. Read book/06-training.md alongside.
//
// A real GPT trained on the bundled Shakespeare in minutes: AdamW, warmup + cosine,
// clipping, periodic train/validation losses, checkpoints that resume bit for bit, a loss
// curve, and a first look at what the model writes.

import Foundation
import GPTKit

let args = Arguments.parseOrExit(
  "ch06-training",
  summary: "Chapter 06: train a GPT on a laptop CPU, with checkpoints, resume and a loss curve.",
  options: [
    Option("data", "the text to train on", default: Corpus.shakespeare),
    Option("tokenizer", "bpe (chapter 01's, --vocab) or char", default: "bpe"),
    Option("vocab", "BPE vocabulary size", default: "512"),
    Option("steps", "optimizer steps", default: "1500"),
    Option("batch", "sequences per micro-batch", default: "16"),
    Option("accumulation", "micro-batches per step (gradient accumulation)", default: "1"),
    Option("lr", "peak learning rate", default: "3e-3"),
    Option("context", "context length T in tokens", default: "128"),
    Option("layers", "transformer blocks L", default: "4"),
    Option("heads", "attention heads", default: "6"),
    Option("channels", "width C (a multiple of --heads)", default: "192"),
    Option("dropout", "dropout probability while training", default: "0.1"),
    Option("eval-interval", "steps between loss estimates and checkpoints", default: "100"),
    Option("seed", "seed for initialisation and data order", default: "1337"),
    Option("out", "folder for checkpoints and the loss curve", default: "runs/ch06"),
    Option(flag: "resume", "continue the run saved in --out"),
  ])
let quick = args.flag("quick")
// A quick run never touches the real run's folder: `swift test` runs chapters with --quick.
let out = quick && !args.isSet("out") ? "runs/ch06-quick" : args.string("out")
let dataPath = args.string("data")
guard let kind = TrainingText.Tokenizer(rawValue: args.string("tokenizer")) else {
  fail("--tokenizer must be bpe or char, got '\(args.string("tokenizer"))'", code: 2)
}
let data: TrainingText
do {
  data = try TrainingText.load(dataPath, tokenizer: kind, vocabularySize: args.int("vocab", in: 257...65_536))
} catch {
  fail("\(error)")
}
let (corpus, tokenizer, tokens) = (data.text, data.tokenizer, data.tokens)
let (trainTokens, validationTokens) = trainValidationSplit(tokens)
let charsPerToken = data.charactersPerToken

let heads = args.int("heads", in: 1...256)
let channels = args.int("channels", in: 1...8192)
guard channels % heads == 0 else { fail("--channels (\(channels)) must be a multiple of --heads (\(heads))", code: 2) }
let config = GPTConfig(
  vocabularySize: tokenizer.vocabularySize, contextLength: quick ? 64 : args.int("context", in: 2...4096),
  layerCount: quick ? 2 : args.int("layers", in: 1...64), headCount: quick ? 4 : heads, channels: quick ? 64 : channels,
  dropout: Float(args.double("dropout", "a probability in [0, 1)", where: { $0 >= 0 && $0 < 1 })))
var options = TrainingOptions(
  steps: quick ? 150 : args.int("steps", in: 1...10_000_000), batchSize: quick ? 8 : args.int("batch", in: 1...4096))
options.accumulation = args.int("accumulation", in: 1...1024)
options.learningRate = quick ? 1e-2 : Float(args.double("lr", "a positive number", where: { $0 > 0 }))
options.warmupSteps = max(1, min(100, options.steps / 10))
options.evalInterval = quick ? 20 : args.int("eval-interval", in: 1...1_000_000)
options.evalBatches = quick ? 2 : 8
options.seed = UInt64(args.int("seed", in: 0...Int.max))
guard trainTokens.count > config.contextLength * options.batchSize,
  validationTokens.count > config.contextLength * options.batchSize
else {
  fail(
    "\(dataPath) has \(tokens.count) tokens: too few for batches of \(options.batchSize) x \(config.contextLength); use a longer text or smaller --batch/--context"
  )
}

let report = ChapterReport("06 training")
let model = GPT(config, seed: options.seed)
let trainer = Trainer(model: model, train: trainTokens, validation: validationTokens, options: options)
let fingerprint = TokenizerStore.fingerprint(corpus) + "-" + tokenizer.identity
report.info(
  "\(tokenizer.identity) on \(dataPath): \(trainTokens.count) train / \(validationTokens.count) validation tokens, \(charsPerToken.formatted(decimals: 2)) characters per token"
)
report.info(
  "model: \(config.layerCount) layers, \(config.headCount) heads, C \(config.channels), T \(config.contextLength): \(model.parameterCount) parameters"
)
report.info(
  "\(options.steps) steps x \(options.batchSize * options.accumulation) x \(config.contextLength) tokens = \(options.steps * options.batchSize * options.accumulation * config.contextLength) tokens (\((Double(options.steps * options.batchSize * options.accumulation * config.contextLength) / Double(trainTokens.count)).formatted(decimals: 1)) epochs, \((Double(options.steps * options.batchSize * options.accumulation * config.contextLength) / Double(model.parameterCount)).formatted(decimals: 2)) tokens per parameter)"
)

/// Per-token loss in nats -> nats and bits per character, so BPE and char runs compare.
func perCharacter(_ loss: Float) -> String {
  let nats = Double(loss) / charsPerToken
  return "\(nats.formatted(decimals: 3)) nats/char = \((nats / log(2)).formatted(decimals: 3)) bits/char"
}

// MARK: 1. The starting line and a sanity run
if args.flag("resume") {
  do {
    let state = try trainer.resume(from: "\(out)/latest")
    guard state.corpusFingerprint == fingerprint else {
      fail(
        "\(out)/latest was trained on another text or tokenizer: resume with the same --data/--tokenizer, or use a new --out"
      )
    }
    report.info("resumed \(out)/latest at step \(state.step) of \(options.steps)")
  } catch { fail("\(error)") }
} else {
  report.section("1. the starting line")
  let (_, initial) = trainer.evaluate()
  report.check(
    "step-0 validation loss \(initial.formatted(decimals: 3)) vs ln(\(config.vocabularySize)) = \(log(Float(config.vocabularySize)).formatted(decimals: 3)) (within 0.3)",
    abs(initial - log(Float(config.vocabularySize))) < 0.3)
  // A model that cannot memorise one batch cannot learn anything: a classic first test.
  var one = options
  (one.steps, one.batchSize, one.warmupSteps, one.learningRate, one.evalBatches) = (40, 4, 5, quick ? 1e-2 : 3e-3, 1)
  var overfitConfig = config
  overfitConfig.dropout = 0
  let single = Trainer(
    model: GPT(overfitConfig, seed: 7), train: Array(trainTokens.prefix(config.contextLength * 4 + 1)),
    validation: validationTokens, options: one)
  var memorised: [Float] = []
  do { for _ in 0..<40 { memorised.append(try single.trainStep().loss) } } catch { fail("\(error)") }
  report.info(
    "one batch, 40 steps: loss \(memorised[0].formatted(decimals: 2)) -> \(memorised[39].formatted(decimals: 2))")
  report.check("the model memorises a single batch: loss falls below 1.5 nats in 40 steps", memorised[39] < 1.5)
}

// MARK: 2. Training
report.section("2. training")
if trainer.step == 0 { trainer.record() }
let startValidation = trainer.history.first!.validationLoss
var progress = ProgressLine(total: options.steps, interval: 15)
let started = monotonicSeconds()
let startStep = trainer.step
do {
  while trainer.step < options.steps {
    let (loss, _, _) = try trainer.trainStep()
    let elapsed = monotonicSeconds() - started
    let tokensPerSecond =
      Double((trainer.step - startStep) * options.batchSize * options.accumulation * config.contextLength)
      / max(elapsed, 1e-9)
    let validation = trainer.history.last!.validationLoss
    progress.update(
      trainer.step,
      "step \(trainer.step) | train \(loss.formatted(decimals: 3)) | val \(validation.formatted(decimals: 3)) | \((tokensPerSecond / 1000).formatted(decimals: 1))k tok/s"
    )
    if trainer.step % options.evalInterval == 0 || trainer.step == options.steps {
      let (_, improved) = trainer.record()
      try Checkpoint.save(
        model: model, optimizer: trainer.optimizer, state: trainer.checkpointState(corpusFingerprint: fingerprint),
        tokenizer: tokenizer, to: "\(out)/latest")
      if improved {
        try Checkpoint.save(
          model: model, optimizer: trainer.optimizer, state: trainer.checkpointState(corpusFingerprint: fingerprint),
          tokenizer: tokenizer, to: "\(out)/best")
      }
    }
  }
} catch let error as NonFiniteLoss {
  progress.finish()
  fail("\(error.description): lower --lr; the last saved checkpoint is intact (\(out)/latest)")
} catch { fail("\(error)") }
progress.finish()
let elapsed = monotonicSeconds() - started
let final = trainer.history.last!
report.info(
  "trained \(trainer.step - startStep) steps in \(formatDuration(elapsed)): \((Double((trainer.step - startStep) * options.batchSize * options.accumulation * config.contextLength) / elapsed / 1000).formatted(decimals: 1))k tok/s"
)
report.info(
  "final: train \(final.trainLoss.formatted(decimals: 3)), validation \(final.validationLoss.formatted(decimals: 3)) nats/token = \(perCharacter(final.validationLoss))"
)
report.info(
  "best validation: \(trainer.bestValidationLoss.formatted(decimals: 3)) nats/token = \(perCharacter(trainer.bestValidationLoss)), saved in \(out)/best"
)
report.check(
  "validation loss fell by more than 1 nat: \(startValidation.formatted(decimals: 2)) -> \(final.validationLoss.formatted(decimals: 2))",
  final.validationLoss < startValidation - 1)

// MARK: 3. The curve
let curve = SVG.lineChart(
  [
    SVG.Series("train", trainer.history.map { (Double($0.tokens) / 1e6, Double($0.trainLoss)) }),
    SVG.Series("validation", trainer.history.map { (Double($0.tokens) / 1e6, Double($0.validationLoss)) }),
  ], title: "Training \(model.parameterCount / 1000)k-parameter GPT on Shakespeare (\(tokenizer.identity))",
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
let prompt = (try? tokenizer.encodeText("First Citizen:\n")) ?? [0]
let written = best.greedy(prompt.map(Int32.init), count: quick ? 20 : 120)
print(tokenizer.decode(prompt + written.map(Int.init)))
report.finish()
