// Chapter 07: sampling. Read book/07-sampling.md alongside.
//
// The trained model of chapter 06 writes text: greedy, at several temperatures, with top-k and
// top-p, with beam search, streamed as it is generated, and with a KV cache that makes it
// fast without changing a single token.

import Exercises
import Foundation
import GPTKit
import Solutions

/// What this chapter can be told, read once and checked before any work. Each option's line
/// holds its default, its `--quick` value and its range; `--help` is printed from them.
struct Options {
  static let checkpoint = Setting(
    "checkpoint", "the trained model (chapter 06)", default: "runs/ch06/best", placeholder: "PATH")
  static let prompt = Setting("prompt", "the text to continue", default: "First Citizen:\n")
  static let tokens = Setting("tokens", "tokens to generate per sample", default: 80, quick: 24, in: 1...100_000)
  static let temperature = Setting(
    "temperature", "sampling temperature, 0 for greedy", default: 0.8, "0 or a positive number"
  ) { $0 >= 0 }
  static let topK = Setting("top-k", "keep the k most likely tokens, 0 for all", default: 0, in: 0...1_000_000)
  static let topP = Setting(
    "top-p", "keep the smallest set of mass p, 1 for all", default: 1, "a number in (0, 1]"
  ) { $0 > 0 && $0 <= 1 }
  static let repetitionPenalty = Setting(
    "repetition-penalty", "divide the logits of tokens already used, 1 for none", default: 1, "at least 1"
  ) { $0 >= 1 }
  static let beam = Setting("beam", "beam width for your sample, 0 to sample instead", default: 0, in: 0...64)
  static let seed = Setting("seed", "seed for sampling", default: 1337, in: 0...Int.max)
  static let weights = Setting(
    "weights", "float32, or bfloat16 for half the bytes per token (sections 1-5)", default: WeightPrecision.float32)
  static let perplexity = Setting(
    "perplexity", "print the checkpoint's perplexity on this text file and stop", default: "", placeholder: "PATH")
  static let all: [Option] = [
    checkpoint.option, prompt.option, tokens.option, temperature.option, topK.option, topP.option,
    repetitionPenalty.option, beam.option, seed.option, weights.option, perplexity.option,
  ]

  var checkpoint: String
  var prompt: String
  var count: Int
  /// Your settings (section 5).
  var yours: SamplingOptions
  var beamWidth: Int
  var precision: WeightPrecision
  // Not options, but set by the quick preset too.
  var quick = false
  /// Whether to load `checkpoint` when it is there: not under --quick, unless you name one.
  var loadsCheckpoint = true
  /// The small model trained here when there is no checkpoint: its width, steps and learning rate.
  var fallback = (channels: 128, steps: 600, learningRate: Float(3e-3))
  /// Tokens generated for each KV cache timing (sections 6-7).
  var timed = 200

  init(_ args: Arguments) {
    (checkpoint, prompt, count) = (args[Self.checkpoint], args[Self.prompt], args[Self.tokens])
    yours = SamplingOptions(
      temperature: Float(args[Self.temperature]), topK: args[Self.topK] == 0 ? nil : args[Self.topK],
      topP: args[Self.topP] >= 1 ? nil : Float(args[Self.topP]), repetitionPenalty: Float(args[Self.repetitionPenalty]),
      seed: UInt64(args[Self.seed]))
    (beamWidth, precision) = (args[Self.beam], args[Self.weights])
    guard !prompt.isEmpty else { fail("--prompt must not be empty", code: 2) }
    if args.flag("quick") {  // the quick preset
      (quick, loadsCheckpoint) = (true, args.isSet(Self.checkpoint))
      (fallback, timed) = ((64, 80, 1e-2), 40)
    }
  }
}

let args = Arguments.parseOrExit(
  "ch07-sampling", summary: "Chapter 07: decoding strategies, a KV cache, and streaming generation.",
  options: Options.all + [Pieces.flag.option])
let options = Options(args)
let (count, precision, yours, beamWidth) = (options.count, options.precision, options.yours, options.beamWidth)
let (checkpoint, promptText) = (options.checkpoint, options.prompt)
if args.isSet(Options.checkpoint) {  // a checkpoint you name must be there (the default one may be trained here)
  do { _ = try Checkpoint.config(checkpoint) } catch {
    let hint = Checkpoint.exists("\(checkpoint)/best") ? " (did you mean --checkpoint \(checkpoint)/best?)" : ""
    fail("\(error)\(hint)")
  }
}
let perplexityText: String?
if args.isSet(Options.perplexity) {  // read it now: a missing file is refused before any loading
  guard args.isSet(Options.checkpoint) else { fail("--perplexity needs --checkpoint: the model to measure", code: 2) }
  let path = args[Options.perplexity]
  guard FileManager.default.fileExists(atPath: path) else { fail("--perplexity \(path): no such file: give a text") }
  do { perplexityText = try Corpus.load(path) } catch { fail("\(error)") }
} else {
  perplexityText = nil
}
let report = ChapterReport("07 sampling")

// MARK: The model
var model: GPT
var tokenizer: TextTokenizer
let loaded = options.loadsCheckpoint && Checkpoint.exists(checkpoint)
if loaded {
  do {
    model = try Checkpoint.loadModel(checkpoint)
    tokenizer = try Checkpoint.loadTokenizer(checkpoint)
  } catch { fail("\(error)") }
  report.info("loaded \(checkpoint): \(model.parameterCount) parameters, context \(model.config.contextLength)")
  if let text = perplexityText {  // evaluation only: the model's perplexity on a text
    let tokens: [Int32]
    do { tokens = try tokenizer.encodeText(text).map(Int32.init) } catch { fail("\(error)") }
    guard tokens.count >= 2 else { fail("\(args[Options.perplexity]) is one token long: give a longer text") }
    let start = monotonicSeconds()
    let (loss, predicted) = Perplexity.evaluate(model, tokens: tokens)
    let mean = loss / Double(predicted)
    report.info(
      "perplexity \(exp(mean).formatted(decimals: 2)) (mean loss \(mean.formatted(decimals: 4)) nats) on "
        + "\(predicted) tokens of \(args[Options.perplexity]), windows of \(model.config.contextLength), "
        + formatDuration(monotonicSeconds() - start))
    exit(0)
  }
} else {
  // No checkpoint (or --quick): train a small model now, seeded, so there is something to sample.
  let data: TrainingText
  do { data = try TrainingText.load(Corpus.shakespeare) } catch { fail("\(error)") }
  let bpe = data.tokenizer
  let tokens = data.tokens
  let (train, validation) = trainValidationSplit(tokens)
  let small = options.fallback
  model = GPT(
    GPTConfig(
      vocabularySize: bpe.vocabularySize, contextLength: 64, layerCount: 2, headCount: 4, channels: small.channels),
    seed: 7)
  var training = TrainingOptions(steps: small.steps, batchSize: 16)
  (training.learningRate, training.warmupSteps) = (small.learningRate, 20)
  let trainer = Trainer(model: model, train: train, validation: validation, options: training)
  let start = monotonicSeconds()
  do { for _ in 0..<training.steps { try trainer.trainStep() } } catch { fail("\(error)") }
  tokenizer = bpe
  let took = formatDuration(monotonicSeconds() - start)
  report.info(
    options.quick
      ? "--quick: trained a tiny model for \(training.steps) steps (\(took))"
      : "no checkpoint at \(checkpoint) (run ch06-training for a better one): "
        + "trained a small model for \(training.steps) steps in \(took)")
}
let V = model.config.vocabularySize
let prompt: [Int32]
do { prompt = try tokenizer.encodeText(promptText).map(Int32.init) } catch { fail("\(error)") }
/// `--mine`: your exercises 7.2, 7.3 and 7.5 (Sources/Exercises) on this model: top-p draws with
/// yours, and `generator`'s KV cache stores keys and values with yours.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
mine?.announceSampling(report)
let generator = mine?.install(on: Generator(model, weights: precision)) ?? Generator(model, weights: precision)

/// Generates and streams one sample, printing each piece of text as its token arrives.
@MainActor func stream(_ title: String, _ options: SamplingOptions, tokens: Int = count) -> [Int32] {
  print("\n[\(title)]\n\(promptText)", terminator: "")
  var produced: [Int32] = []
  var text = StreamingDecoder()  // holds back a character split across tokens until it is whole
  generator.generate(prompt, count: tokens, options: options) { token in
    produced.append(token)
    print(text.append(tokenizer.tokenBytes(Int(token))), terminator: "")
    fflush(nil)
  }
  print(text.finish())
  return produced
}

/// The longest stretch in which every token equals the one `period` tokens earlier: a loop.
func longestLoop(_ tokens: [Int32]) -> (length: Int, period: Int) {
  var best = (length: 0, period: 0)
  for period in 1...8 {
    var run = 0
    for i in period..<max(period, tokens.count) {  // (a text shorter than the period has no loop)
      run = tokens[i] == tokens[i - period] ? run + 1 : 0
      if run + period > best.length && run >= period { best = (run + period, period) }
    }
  }
  return best
}

// MARK: 1. Greedy
report.section("1. greedy: always the most likely token")
let greedy = stream("greedy", SamplingOptions(temperature: 0))
let loop = longestLoop(greedy)
report.info(
  loop.length == 0
    ? "no loop in greedy's \(greedy.count) tokens"
    : "greedy loops: \(loop.length) tokens repeat a \(loop.period)-token pattern")

// MARK: 2. Temperature
report.section("2. temperature: sharpen or flatten the distribution")
let firstLogits = model.nextTokenLogits(prompt)
for t: Float in [0.5, 1.0, 1.5] {
  let p = Sampler.distribution(firstLogits, previous: prompt, options: SamplingOptions(temperature: t))
  let (entropy, uniform) = (Sampler.entropy(p).formatted(decimals: 2), log(Double(V)).formatted(decimals: 2))
  report.info("temperature \(t): entropy of the first step \(entropy) nats (uniform would be ln \(V) = \(uniform))")
  _ = stream("temperature \(t)", SamplingOptions(temperature: t, seed: 1))
  mine?.compareTemperature(firstLogits, t, report: report)
}

// MARK: 3. Top-k and top-p
report.section("3. top-k and top-p: cut the long tail of unlikely tokens")
_ = stream("temperature 1, top-k 10", SamplingOptions(temperature: 1, topK: 10, seed: 1))
_ = stream("temperature 1, top-p 0.9", SamplingOptions(temperature: 1, topP: 0.9, seed: 1))

// MARK: 4. Beam search
report.section("4. beam search: the most likely continuation, approximately")
let beam = BeamSearch.generate(model, prompt: prompt, count: min(count, 40), width: 4)
print("\n[beam search, width 4]\n\(promptText)\(tokenizer.decode(beam.map(Int.init)))")

// MARK: 5. Your settings
report.section("5. your settings (--temperature, --top-k, --top-p, --repetition-penalty, --beam, --seed)")
if beamWidth > 0 {
  let yoursBeam = BeamSearch.generate(model, prompt: prompt, count: count, width: beamWidth)
  print("\n[beam width \(beamWidth)]\n\(promptText)\(tokenizer.decode(yoursBeam.map(Int.init)))")
} else {
  let (topK, topP) = (yours.topK.map(String.init) ?? "off", yours.topP.map { "\($0)" } ?? "off")
  _ = stream(
    "temperature \(yours.temperature), top-k \(topK), top-p \(topP), penalty \(yours.repetitionPenalty), "
      + "seed \(yours.seed)", yours)
}

// MARK: 6. The KV cache
report.section("6. the KV cache: the same tokens, faster")
/// A model of GPT-2's size recomputes a long prefix slowly: it is timed on fewer tokens, and the
/// window slide (past its context of 1024) is left to the chapter's own models.
let large = model.parameterCount > 20_000_000
let timed = large ? min(options.timed, 50) : options.timed
let greedily = SamplingOptions(temperature: 0)
let exact = Generator(model)  // float32 weights, whatever --weights says
/// Generates `timed` greedy tokens and returns them with the tokens per second: the best of
/// three runs with the cache (each takes a fraction of a second), one without.
func timedRun(_ g: Generator, useCache: Bool = true) -> ([Int32], Double) {
  var (tokens, best) = ([Int32](), Double.infinity)
  for _ in 0..<(useCache ? 3 : 1) {
    let start = monotonicSeconds()
    tokens = g.generate(prompt, count: timed, options: greedily, useCache: useCache)
    best = min(best, monotonicSeconds() - start)
  }
  return (tokens, Double(timed) / best)
}
let (withCache, cachedSpeed) = timedRun(exact)
let (withoutCache, recomputeSpeed) = timedRun(exact, useCache: false)
let speedUp = (cachedSpeed / recomputeSpeed).formatted(decimals: 1)
report.info(
  "\(timed) tokens: \(cachedSpeed.formatted(decimals: 0)) tok/s with the cache, "
    + "\(recomputeSpeed.formatted(decimals: 0)) tok/s recomputing: \(speedUp)x faster")

// MARK: 7. Half the bytes
report.section("7. BFloat16 weights: half the bytes to read per token")
let half = precision == .bfloat16 ? generator : Generator(model, weights: .bfloat16)
let (halfTokens, halfSpeed) = timedRun(half)
let (halfKiB, floatKiB) = (half.weights.bytes / 1024, exact.weights.bytes / 1024)
report.info(
  "\(timed) tokens: \(halfSpeed.formatted(decimals: 0)) tok/s reading \(halfKiB) KiB of BFloat16 matrices per token "
    + "instead of \(floatKiB) KiB of floats: \((halfSpeed / cachedSpeed).formatted(decimals: 2))x the speed")
let logitChange = zip(model.nextTokenLogits(prompt), half.model.nextTokenLogits(prompt)).map { abs($0 - $1) }.max()!
let agreeing = zip(withCache, halfTokens).prefix { $0 == $1 }.count
report.info(
  "rounding moves the first step's logits by at most \(logitChange.formatted(decimals: 4)); "
    + "greedy text agrees for the first \(agreeing) of \(timed) tokens")

// MARK: 8. Checks
report.section("8. checks")
let sampled = SamplingOptions(temperature: 1, seed: 5)
let slide = large ? 20 : model.config.contextLength + 10  // tokens that pass the window's end (small models)
report.check(
  "cached generation equals recomputation, greedy and sampled, "
    + (large ? "in \(slide) tokens" : "across the window slide")
    + (mine?.tag(["7.5": mine?.storeKeyValue != nil]) ?? ""),
  withCache == withoutCache
    && generator.generate(prompt, count: slide, options: sampled)
      == generator.generate(prompt, count: slide, options: sampled, useCache: false)
)
let a = generator.generate(prompt, count: 20, options: SamplingOptions(temperature: 1, seed: 9))
report.check(
  "BFloat16 weights: cached generation equals recomputation with the rounded model",
  halfTokens == half.generate(prompt, count: timed, options: greedily, useCache: false))
report.check(
  "the same seed gives the same text; another seed another text",
  a == generator.generate(prompt, count: 20, options: SamplingOptions(temperature: 1, seed: 9))
    && a != generator.generate(prompt, count: 20, options: SamplingOptions(temperature: 1, seed: 10)))
report.check(
  "temperature 0 is greedy and ignores the seed",
  generator.generate(prompt, count: 20, options: SamplingOptions(temperature: 0, seed: 1))
    == generator.generate(prompt, count: 20, options: SamplingOptions(temperature: 0, seed: 2)))
var context = prompt
var outsideTopK = 0
var rng = SplitMix64(seed: 3)
for _ in 0..<20 {
  let logits = model.nextTokenLogits(context)
  let p = Sampler.distribution(logits, previous: context, options: SamplingOptions(topK: 5))
  let token = Sampler.draw(p, rng: &rng)
  let fifth = logits.sorted(by: >)[4]
  if logits[token] < fifth { outsideTopK += 1 }
  context.append(Int32(token))
}
report.check("top-k 5 never draws a token outside the 5 most likely (20 draws)", outsideTopK == 0)
let full = Sampler.distribution(firstLogits, previous: prompt, options: SamplingOptions())
let nucleus = Sampler.distribution(
  firstLogits, previous: prompt, options: SamplingOptions(topP: 0.9), nucleus: mine?.nucleus)
let kept = nucleus.indices.filter { nucleus[$0] > 0 }
let ranked = full.indices.sorted { full[$0] > full[$1] }
let keptMass = ranked.prefix(kept.count).reduce(0) { $0 + full[$1] }
let lessMass = ranked.prefix(kept.count - 1).reduce(0) { $0 + full[$1] }
report.check(
  "top-p 0.9 keeps the smallest set of most likely tokens whose mass reaches 0.9"
    + (mine?.tag(["7.3": mine?.topP != nil]) ?? ""),
  Set(kept) == Set(ranked.prefix(kept.count)) && keptMass >= 0.9 && lessMass < 0.9)
report.check(
  "beam search of width 1 is greedy",
  BeamSearch.generate(model, prompt: prompt, count: min(12, greedy.count), width: 1) == Array(greedy.prefix(12)))

if loaded && args.isTheBookRun("book/07-sampling.md") {  // the book's figure is the trained model's
  let points = stride(from: 0.1, through: 2.0, by: 0.1).map { t in
    (
      Double(t),
      Sampler.entropy(
        Sampler.distribution(firstLogits, previous: prompt, options: SamplingOptions(temperature: Float(t))))
    )
  }
  try? SVG.write(
    SVG.lineChart(
      [SVG.Series("entropy of the next-token distribution", points)],
      title: "Temperature flattens the distribution (chapter 07)", xLabel: "temperature", yLabel: "entropy (nats)"),
    to: "book/figures/07-entropy.svg")
}
report.finish()
