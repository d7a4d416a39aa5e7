// Chapter 07: sampling. Read book/07-sampling.md alongside.
//
// The trained model of chapter 06 writes text: greedy, at several temperatures, with top-k and
// top-p, with beam search, streamed as it is generated, and with a KV cache that makes it
// fast without changing a single token.

import Foundation
import GPTKit

let args = Arguments.parseOrExit(
  "ch07-sampling", summary: "Chapter 07: decoding strategies, a KV cache, and streaming generation.",
  options: [
    Option("checkpoint", "the trained model (chapter 06)", default: "runs/ch06/best"),
    Option("prompt", "the text to continue", default: "First Citizen:\n"),
    Option("tokens", "tokens to generate per sample", default: "80"),
    Option("temperature", "sampling temperature (0 = greedy)", default: "0.8"),
    Option("top-k", "keep the k most likely tokens (0 = off)", default: "0"),
    Option("top-p", "keep the smallest set of mass p (1 = off)", default: "1"),
    Option("repetition-penalty", "divide the logits of tokens already used (1 = off)", default: "1"),
    Option("beam", "beam width for your sample (0 = sample instead)", default: "0"),
    Option("seed", "seed for sampling", default: "1337"),
    Option("weights", "float32, or bfloat16 for half the bytes per token (sections 1-5)", default: "float32"),
  ])
let quick = args.flag("quick")
let count = quick ? 24 : args.int("tokens", in: 1...100_000)
guard let precision = WeightPrecision(rawValue: args.string("weights")) else {
  fail("--weights must be float32 or bfloat16, got '\(args.string("weights"))'", code: 2)
}
// Your settings (section 5), checked before anything runs.
let yours = SamplingOptions(
  temperature: Float(args.double("temperature")),
  topK: args.int("top-k", in: 0...1_000_000) == 0 ? nil : args.int("top-k"),
  topP: args.double("top-p") >= 1 ? nil : Float(args.double("top-p")),
  repetitionPenalty: Float(args.double("repetition-penalty")),
  seed: UInt64(args.int("seed", in: 0...Int.max)))
if let problem = yours.problem { fail(problem, code: 2) }
let beamWidth = args.int("beam", in: 0...64)
let checkpoint = args.string("checkpoint")
if args.isSet("checkpoint") {  // a checkpoint you name must be there (the default one may be trained here)
  do { _ = try Checkpoint.config(checkpoint) } catch { fail("\(error)") }
}
let report = ChapterReport("07 sampling")

// MARK: The model
var model: GPT
var tokenizer: TextTokenizer
if !quick && Checkpoint.exists(checkpoint) {
  do {
    model = try Checkpoint.loadModel(checkpoint)
    tokenizer = try Checkpoint.loadTokenizer(checkpoint)
  } catch { fail("\(error)") }
  report.info("loaded \(checkpoint): \(model.parameterCount) parameters, context \(model.config.contextLength)")
} else {
  // No checkpoint (or --quick): train a small model now, seeded, so there is something to sample.
  let data: TrainingText
  do { data = try TrainingText.load(Corpus.shakespeare) } catch { fail("\(error)") }
  let bpe = data.tokenizer
  let tokens = data.tokens
  let (train, validation) = trainValidationSplit(tokens)
  model = GPT(
    GPTConfig(
      vocabularySize: bpe.vocabularySize, contextLength: 64, layerCount: 2, headCount: 4, channels: quick ? 64 : 128),
    seed: 7)
  var options = TrainingOptions(steps: quick ? 80 : 600, batchSize: 16)
  (options.learningRate, options.warmupSteps) = (quick ? 1e-2 : 3e-3, 20)
  let trainer = Trainer(model: model, train: train, validation: validation, options: options)
  let start = monotonicSeconds()
  do { for _ in 0..<options.steps { try trainer.trainStep() } } catch { fail("\(error)") }
  tokenizer = bpe
  report.info(
    quick
      ? "--quick: trained a tiny model for \(options.steps) steps (\(formatDuration(monotonicSeconds() - start)))"
      : "no checkpoint at \(checkpoint) (run ch06-training for a better one): trained a small model for \(options.steps) steps in \(formatDuration(monotonicSeconds() - start))"
  )
}
let V = model.config.vocabularySize
let prompt: [Int32]
do { prompt = try tokenizer.encodeText(args.string("prompt")).map(Int32.init) } catch { fail("\(error)") }
guard !prompt.isEmpty else { fail("--prompt must not be empty", code: 2) }
let generator = Generator(model, weights: precision)

/// Generates and streams one sample, printing each piece of text as its token arrives.
@MainActor func stream(_ title: String, _ options: SamplingOptions, tokens: Int = count) -> [Int32] {
  print("\n[\(title)]\n\(args.string("prompt"))", terminator: "")
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
    for i in period..<tokens.count {
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
  report.info(
    "temperature \(t): entropy of the first step \(Sampler.entropy(p).formatted(decimals: 2)) nats (uniform would be ln \(V) = \(log(Double(V)).formatted(decimals: 2)))"
  )
  _ = stream("temperature \(t)", SamplingOptions(temperature: t, seed: 1))
}

// MARK: 3. Top-k and top-p
report.section("3. top-k and top-p: cut the long tail of unlikely tokens")
_ = stream("temperature 1, top-k 10", SamplingOptions(temperature: 1, topK: 10, seed: 1))
_ = stream("temperature 1, top-p 0.9", SamplingOptions(temperature: 1, topP: 0.9, seed: 1))

// MARK: 4. Beam search
report.section("4. beam search: the most likely continuation, approximately")
let beam = BeamSearch.generate(model, prompt: prompt, count: min(count, 40), width: 4)
print("\n[beam search, width 4]\n\(args.string("prompt"))\(tokenizer.decode(beam.map(Int.init)))")

// MARK: 5. Your settings
report.section("5. your settings (--temperature, --top-k, --top-p, --repetition-penalty, --beam, --seed)")
if beamWidth > 0 {
  let yoursBeam = BeamSearch.generate(model, prompt: prompt, count: count, width: beamWidth)
  print("\n[beam width \(beamWidth)]\n\(args.string("prompt"))\(tokenizer.decode(yoursBeam.map(Int.init)))")
} else {
  _ = stream(
    "temperature \(yours.temperature), top-k \(yours.topK.map(String.init) ?? "off"), top-p \(yours.topP.map { "\($0)" } ?? "off"), penalty \(yours.repetitionPenalty), seed \(yours.seed)",
    yours)
}

// MARK: 6. The KV cache
report.section("6. the KV cache: the same tokens, faster")
let timed = quick ? 40 : 200
let options = SamplingOptions(temperature: 0)
let exact = Generator(model)  // float32 weights, whatever --weights says
/// Generates `timed` greedy tokens and returns them with the tokens per second: the best of
/// three runs with the cache (each takes a fraction of a second), one without.
func timedRun(_ g: Generator, useCache: Bool = true) -> ([Int32], Double) {
  var (tokens, best) = ([Int32](), Double.infinity)
  for _ in 0..<(useCache ? 3 : 1) {
    let start = monotonicSeconds()
    tokens = g.generate(prompt, count: timed, options: options, useCache: useCache)
    best = min(best, monotonicSeconds() - start)
  }
  return (tokens, Double(timed) / best)
}
let (withCache, cachedSpeed) = timedRun(exact)
let (withoutCache, recomputeSpeed) = timedRun(exact, useCache: false)
report.info(
  "\(timed) tokens: \(cachedSpeed.formatted(decimals: 0)) tok/s with the cache, \(recomputeSpeed.formatted(decimals: 0)) tok/s recomputing: \((cachedSpeed / recomputeSpeed).formatted(decimals: 1))x faster"
)

// MARK: 7. Half the bytes
report.section("7. BFloat16 weights: half the bytes to read per token")
let half = precision == .bfloat16 ? generator : Generator(model, weights: .bfloat16)
let (halfTokens, halfSpeed) = timedRun(half)
report.info(
  "\(timed) tokens: \(halfSpeed.formatted(decimals: 0)) tok/s reading \(half.weights.bytes / 1024) KiB of BFloat16 matrices per token instead of \(exact.weights.bytes / 1024) KiB of floats: \((halfSpeed / cachedSpeed).formatted(decimals: 2))x the speed"
)
let logitChange = zip(model.nextTokenLogits(prompt), half.model.nextTokenLogits(prompt)).map { abs($0 - $1) }.max()!
let agreeing = zip(withCache, halfTokens).prefix { $0 == $1 }.count
report.info(
  "rounding moves the first step's logits by at most \(logitChange.formatted(decimals: 4)); greedy text agrees for the first \(agreeing) of \(timed) tokens"
)

// MARK: 8. Checks
report.section("8. checks")
let sampled = SamplingOptions(temperature: 1, seed: 5)
report.check(
  "cached generation equals recomputation, greedy and sampled, across the window slide",
  withCache == withoutCache
    && generator.generate(prompt, count: model.config.contextLength + 10, options: sampled)
      == generator.generate(prompt, count: model.config.contextLength + 10, options: sampled, useCache: false)
)
let a = generator.generate(prompt, count: 20, options: SamplingOptions(temperature: 1, seed: 9))
report.check(
  "BFloat16 weights: cached generation equals recomputation with the rounded model",
  halfTokens == half.generate(prompt, count: timed, options: options, useCache: false))
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
let nucleus = Sampler.distribution(firstLogits, previous: prompt, options: SamplingOptions(topP: 0.9))
let kept = nucleus.indices.filter { nucleus[$0] > 0 }
let ranked = full.indices.sorted { full[$0] > full[$1] }
let keptMass = ranked.prefix(kept.count).reduce(0) { $0 + full[$1] }
let lessMass = ranked.prefix(kept.count - 1).reduce(0) { $0 + full[$1] }
report.check(
  "top-p 0.9 keeps the smallest set of most likely tokens whose mass reaches 0.9",
  Set(kept) == Set(ranked.prefix(kept.count)) && keptMass >= 0.9 && lessMass < 0.9)
report.check(
  "beam search of width 1 is greedy",
  BeamSearch.generate(model, prompt: prompt, count: 12, width: 1) == Array(greedy.prefix(12)))

if args.isTheBookRun("book/07-sampling.md") {
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
