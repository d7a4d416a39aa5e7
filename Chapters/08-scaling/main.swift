// Chapter 08: scaling. Read book/08-scaling.md alongside.
//
// What a model costs in FLOPs, an IsoFLOP sweep trained here on the bundled Shakespeare,
// Chinchilla's two fits of it, a prediction of a run before it happens, the map of known
// models and a calculator for runs this laptop will never do.

import Exercises
import Foundation
import GPTKit
import Solutions

let args = Arguments.parseOrExit(
  "ch08-scaling",
  summary: "Chapter 08: compute accounting, an IsoFLOP sweep, Chinchilla's fits and a prediction that is then tested.",
  options: [
    Option("data", "the text to train on", default: Corpus.shakespeare),
    Option("tokenizer", "bpe (chapter 01's, --vocab) or char", default: "bpe"),
    Option("vocab", "BPE vocabulary size", default: "512"),
    Option("budgets", "compute budgets in FLOPs, comma-separated", default: "1e11,2e11,4e11"),
    Option("sizes", "model sizes per budget (consecutive rungs of the ladder)", default: "5"),
    Option("predict", "the prediction's budget, as a multiple of the largest budget", default: "2"),
    Option("context", "context length T of every run", default: "128"),
    Option("batch", "sequences per step", default: "8"),
    Option("lr", "peak learning rate of every run", default: "3e-3"),
    Option("seed", "seed for initialisation and data order", default: "1337"),
    Option("out", "folder for sweep.jsonl and the figures", default: "runs/ch08"),
    Option("params", "calculator: parameters N (with --tokens)", default: "0"),
    Option("tokens", "calculator: training tokens D (with --params)", default: "0"),
    Option("flops", "calculator: a compute budget C in FLOPs", default: "0"),
    Pieces.flag.option,
  ])
let quick = args.flag("quick")
let out = quick && !args.isSet("out") ? "runs/ch08-quick" : args.string("out")
guard let kind = TrainingText.Tokenizer(rawValue: args.string("tokenizer")) else {
  fail("--tokenizer must be bpe or char, got '\(args.string("tokenizer"))'", code: 2)
}
let vocabulary = args.int("vocab", in: 257...65_536)
let budgetText = quick && !args.isSet("budgets") ? "2e10,3e10,4.5e10" : args.string("budgets")
let parsedBudgets = budgetText.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
guard parsedBudgets.count >= 3, parsedBudgets.allSatisfy({ $0 != nil && $0! >= 1e6 && $0! <= 1e18 }) else {
  fail("--budgets expects at least 3 comma-separated FLOP counts in 1e6...1e18, got '\(budgetText)'", code: 2)
}
let budgets = Array(Set(parsedBudgets.map { $0! })).sorted()
let sizesPerBudget = quick && !args.isSet("sizes") ? 3 : args.int("sizes", in: 3...ModelSize.ladder.count)
let predictFactor =
  quick && !args.isSet("predict") ? 1.25 : args.double("predict", "a number above 1", where: { $0 > 1 && $0 <= 1000 })
let T = quick && !args.isSet("context") ? 32 : args.int("context", in: 8...1024)
let batch = quick && !args.isSet("batch") ? 4 : args.int("batch", in: 1...512)
let learningRate = Float(args.double("lr", "a positive number", where: { $0 > 0 && $0 < 1 }))
let seed = UInt64(args.int("seed", in: 0...Int.max))
let positive = { (v: Double) in v >= 0 && v <= 1e30 }
let (calcN, calcD, calcC) = (
  args.double("params", "a parameter count", where: positive), args.double("tokens", "a token count", where: positive),
  args.double("flops", "a FLOP count", where: positive)
)
for (name, value) in [("params", calcN), ("tokens", calcD), ("flops", calcC)] where args.isSet(name) && value == 0 {
  fail("--\(name) expects a number above 0 (leave the calculator's options out to run the sweep)", code: 2)
}
guard (calcN > 0) == (calcD > 0) else { fail("--params and --tokens go together: give both, or --flops", code: 2) }
let calculatorOnly = calcN > 0 || calcC > 0
if !calculatorOnly { requireWritableFolder(out) }  // the sweep writes there for minutes: check now

// The text, loaded (or its tokenizer trained) before any output: a bad --data fails in one line.
let data: TrainingText
do { data = try TrainingText.load(args.string("data"), tokenizer: kind, vocabularySize: vocabulary) } catch {
  fail("\(error)")
}
let (trainTokens, validationTokens) = trainValidationSplit(data.tokens)
guard validationTokens.count > T * batch * 2 else {
  fail(
    "\(data.path) has \(data.tokens.count) tokens, \(validationTokens.count) held out for validation, which needs more "
      + "than two batches of \(batch) x \(T) (\(2 * batch * T)): use a longer text, or a smaller --batch or --context")
}
let report = ChapterReport("08 scaling")
/// `--mine`: your exercise 8.3 (Sources/Exercises) fits Approach 2's power laws.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
mine?.announceScaling(report)

// MARK: 1. Compute accounting
report.section("1. what a training token costs")
let shapes: [(String, GPTConfig)] = [
  ("chapter 06", GPTConfig(vocabularySize: 512, contextLength: 128, layerCount: 4, headCount: 6, channels: 192)),
  ("bench A", .benchmarkA), ("GPT-2 124M", .gpt2Small),
]
var agree = true
for (name, config) in shapes {
  let counted = Compute.countedMultiplyAdds(
    ParameterLayout(config), headCount: config.headCount, B: 1, T: config.contextLength)
  let formula = config.trainingFLOPsPerToken() * Double(config.contextLength)
  agree = agree && formula == 2 * Double(counted)
  report.info(
    "\(name): \(config.parameterCount) parameters, \(config.nonEmbeddingParameterCount) outside the embeddings, "
      + "\((config.trainingFLOPsPerToken() / 1e6).formatted(decimals: 2)) MFLOP per training token (6N: "
      + "\((6 * Double(config.parameterCount) / 1e6).formatted(decimals: 2)))"
  )
}
report.check("FLOPs per token = 2 x the multiply-adds counted product by product, at 3 shapes", agree)
let peak = PeakFlops.measure(seconds: 0.3)
let threads = counted(Parallel.threadCount, "thread")
report.info("this machine's measured FMA peak: \(peak.formatted(decimals: 0)) GFLOP/s on \(threads)")

// MARK: 2. The sweep
let plan = SweepPlan(vocabularySize: data.tokenizer.vocabularySize, contextLength: T, batchSize: batch)
let settings = SweepSettings(
  corpus: TokenizerStore.fingerprint(data.text) + "-" + data.tokenizer.identity, contextLength: T, batchSize: batch,
  learningRate: learningRate, seed: seed)
let storePath = "\(out)/sweep.jsonl"
var (records, notes) = SweepStore.load(storePath, settings: settings)
for note in notes { report.info("note: \(note)") }
@MainActor func recorded(_ size: ModelSize, _ budget: Double) -> SweepRecord? {
  records.last { $0.size == size && $0.budget == budget }
}
@MainActor func run(_ size: ModelSize, _ budget: Double) -> SweepRecord {
  if let done = recorded(size, budget) { return done }
  do {
    var record = try plan.train(
      size, budget: budget, train: trainTokens, validation: validationTokens, settings: settings)
    record.peakGFLOPs = peak
    try SweepStore.append(record, to: storePath)
    records.append(record)
    return record
  } catch { fail("\(error) (budget \(budget), \(size.name))") }
}
let grid = budgets.map { ($0, plan.sizes(budget: $0, count: sizesPerBudget)) }
let missing = grid.flatMap { budget, sizes in sizes.filter { recorded($0, budget) == nil }.map { ($0, budget) } }
let mfuOf = { (r: SweepRecord) in
  Compute.utilisation(
    tokensPerSecond: r.tokensPerSecond, flopsPerToken: r.flops / Double(r.tokens), peakGFLOPs: r.peakGFLOPs ?? peak)
}
if !calculatorOnly {
  report.section("2. the IsoFLOP sweep: \(budgets.count) budgets x \(sizesPerBudget) sizes")
  report.info(
    "\(data.tokenizer.identity) on \(data.path): \(trainTokens.count) train / \(validationTokens.count) validation "
      + "tokens; every run: T \(T), \(batch) sequences per step, lr \(learningRate) x 64 / C, no dropout"
  )
  let work = missing.reduce(0.0) { $0 + $1.1 }
  report.info(
    missing.isEmpty
      ? "all \(grid.count * sizesPerBudget) runs are in \(storePath): refitting only"
      : "\(missing.count) runs to train (\((work / 1e12).formatted(decimals: 2)) TFLOP), \(records.count) already in "
        + "\(storePath)"
  )
  for (budget, sizes) in grid {
    for size in sizes {
      let fresh = recorded(size, budget) == nil
      let r = run(size, budget)
      report.info(
        "C \(budget.formatted(significant: 2)) | \(size.name) L\(size.layerCount) C\(size.channels) | N "
          + "\(r.nonEmbeddingParameters) | \(r.steps) steps, D \(r.tokens) "
          + "(\((Double(r.tokens) / Double(r.nonEmbeddingParameters)).formatted(significant: 3)) tok/param) | val "
          + "\(r.validationLoss.formatted(decimals: 3))"
          + (fresh
            ? " | \(formatDuration(r.seconds)), \((r.tokensPerSecond / 1000).formatted(decimals: 1))k tok/s, MFU "
              + "\((100 * mfuOf(r)).formatted(decimals: 0))%"
            : " (stored)"))
    }
  }
}
let sweep = grid.flatMap { budget, sizes in sizes.compactMap { recorded($0, budget) } }
let complete = sweep.count == grid.count * sizesPerBudget
let points = sweep.map(\.point)
let tokensFor = { (budget: Double, N: Double) in budget / plan.flopsPerToken(nonEmbedding: N) }

// MARK: 3. Approach 2
var fitted: Approach3.Result?
var approach2: Approach2.Result?
if complete {
  report.section("3. Approach 2: a parabola per budget")
  let result = Approach2.fit(points, tokensFor: tokensFor, powerLaw: mine?.powerLaw ?? LeastSquares.powerLaw)
  approach2 = result
  mine?.checkPowerLaw(result.optima.map { ($0.budget, $0.parameters) }, report: report)
  for p in result.profiles {
    report.info(
      p.hasInteriorMinimum
        ? "C \(p.budget.formatted(significant: 2)): minimum at N* = \(Int(p.optimalParameters.rounded())), D* = "
          + "\(Int(tokensFor(p.budget, p.optimalParameters).rounded())), loss "
          + "\(p.loss(parameters: p.optimalParameters).formatted(decimals: 3))"
        : "C \(p.budget.formatted(significant: 2)): no minimum inside the sizes trained: the grid was too narrow "
          + "here (add --sizes, or move the budgets)"
    )
  }
  report.check(
    "every IsoFLOP curve has its minimum inside the sizes trained (\(result.profiles.count) budgets)",
    result.profiles.count == budgets.count && result.profiles.allSatisfy(\.hasInteriorMinimum))
  if let n = result.parameterLaw, let d = result.tokenLaw {
    report.info(
      "N* = \(n.coefficient.formatted(significant: 3)) C^\(n.exponent.formatted(decimals: 2)), D* = "
        + "\(d.coefficient.formatted(significant: 3)) C^\(d.exponent.formatted(decimals: 2))  (Chinchilla: C^0.50 "
        + "and C^0.50)"
    )
  }

  // MARK: 4. Approach 3
  report.section("4. Approach 3: L(N, D) = E + A/N^alpha + B/D^beta for the whole sweep")
  fitted = Approach3.fit(points)
  if let fit = fitted {
    let law = fit.law
    report.info(
      "E \(law.E.formatted(decimals: 3)), A \(law.A.formatted(significant: 4)), alpha "
        + "\(law.alpha.formatted(decimals: 3)), B \(law.B.formatted(significant: 4)), beta "
        + "\(law.beta.formatted(decimals: 3)); rms residual \(fit.rmsResidual.formatted(decimals: 4)) nats over "
        + "\(points.count) runs"
    )
    report.info("Chinchilla (Hoffmann et al. 2022): E 1.69, A 406.4, alpha 0.34, B 410.7, beta 0.28")
    for budget in budgets {
      let best = law.computeOptimal(budget: budget, flopsPerToken: plan.flopsPerToken(nonEmbedding:))
      report.info(
        "C \(budget.formatted(significant: 2)): compute-optimal N \(Int(best.parameters.rounded())), D "
          + "\(Int(best.tokens.rounded())): \((best.tokens / best.parameters).formatted(decimals: 1)) tokens per "
          + "parameter (Chinchilla ~20, nanochat 12)"
      )
    }
  }
  report.check(
    "the fitted exponents alpha and beta are positive (more parameters and more data both help)",
    (fitted?.law.alpha ?? 0) > 0 && (fitted?.law.beta ?? 0) > 0)
}

// MARK: 5. The prediction
var predictionRun: SweepRecord?
if let fit = fitted, !calculatorOnly {
  report.section("5. a prediction, then the run")
  let budget = predictFactor * budgets.last!
  let optimum = fit.law.computeOptimal(budget: budget, flopsPerToken: plan.flopsPerToken(nonEmbedding:))
  let size = plan.nearestSize(nonEmbedding: optimum.parameters)
  let config = plan.config(size)
  let tokens = Double(plan.steps(size, budget: budget) * plan.tokensPerStep)
  let predicted = fit.law.loss(parameters: Double(config.nonEmbeddingParameterCount), tokens: tokens)
  // ANCHOR: tolerance
  // Three times the fit's rms residual: the scatter of the sweep's own runs about the law
  // (seed noise, a schedule that is not quite right for every size) is what one more run will
  // show too; three of it covers nearly all such runs. The floor of 0.02 nats keeps a fit
  // that happens to thread its points from promising more than a single run can deliver.
  let tolerance = max(3 * fit.rmsResidual, 0.02)
  // ANCHOR_END: tolerance
  report.info(
    "C \(budget.formatted(significant: 2)) (\(predictFactor.formatted(significant: 3))x the largest budget): the "
      + "fit's best size is N \(Int(optimum.parameters.rounded())); nearest rung \(size.name) (N "
      + "\(config.nonEmbeddingParameterCount)), \(Int(tokens)) tokens"
  )
  report.info(
    "predicted before training: validation loss \(predicted.formatted(decimals: 3)) +- "
      + "\(tolerance.formatted(decimals: 3))"
  )
  let fresh = recorded(size, budget) == nil
  let r = run(size, budget)
  predictionRun = r
  report.info(
    "measured: \(r.validationLoss.formatted(decimals: 3)) (predicted \(predicted.formatted(decimals: 3)), off by "
      + "\((Double(r.validationLoss) - predicted).formatted(decimals: 3)))"
      + (fresh
        ? "; \(formatDuration(r.seconds)), \((r.tokensPerSecond / 1000).formatted(decimals: 1))k tok/s, MFU "
          + "\((100 * mfuOf(r)).formatted(decimals: 0))%"
        : " (stored)"))
  report.check(
    "the run outside the sweep lands within 3 rms residuals (at least 0.02 nats) of its predicted loss",
    abs(Double(r.validationLoss) - predicted) <= tolerance)
}

// MARK: 6. Chapter 06's model
let chapter06 = shapes[0].1
let chapter06Tokens = 1500.0 * 16 * 128  // its defaults: 1500 steps of 16 x 128 tokens
let chapter06Budget = chapter06Tokens * chapter06.trainingFLOPsPerToken()
// (name, total parameters, tokens) for the map: chapter 06's default recipe, and your run if there is one
var learners: [(name: String, parameters: Double, tokens: Double)] = [
  ("ch06 default", Double(chapter06.parameterCount), chapter06Tokens)
]
if let best = try? Checkpoint.loadModel("runs/ch06/best"),
  let state = try? Checkpoint.restore("runs/ch06/best", model: best, optimizer: AdamW(best.layout)),
  let last = state.history.last
{
  learners.append(("your ch06 model", Double(best.parameterCount), Double(last.tokens)))
  report.info(
    "runs/ch06/best: \(best.parameterCount) parameters after \(last.tokens) tokens, validation loss "
      + "\(state.bestValidationLoss.formatted(decimals: 3))"
  )
}
if let law = fitted?.law {
  report.section("6. is chapter 06's default model compute-optimal?")
  let best = law.computeOptimal(budget: chapter06Budget, flopsPerToken: plan.flopsPerToken(nonEmbedding:))
  let N06 = Double(chapter06.nonEmbeddingParameterCount)
  report.info(
    "chapter 06: N \(chapter06.nonEmbeddingParameterCount), D \(Int(chapter06Tokens)) "
      + "(\((chapter06Tokens / N06).formatted(decimals: 1)) tokens per parameter), C "
      + "\(chapter06Budget.formatted(significant: 3)) FLOPs"
  )
  report.info(
    "the fit's optimum for that budget: N \(Int(best.parameters.rounded())), D \(Int(best.tokens.rounded())) "
      + "(\((best.tokens / best.parameters).formatted(decimals: 1)) tokens per parameter); predicted loss "
      + "\(law.loss(parameters: best.parameters, tokens: best.tokens).formatted(decimals: 3)) vs "
      + "\(law.loss(parameters: N06, tokens: chapter06Tokens).formatted(decimals: 3)) for chapter 06's split (T "
      + "\(T), batch \(batch), no dropout)"
  )
}

// MARK: 7. Maps
let figures = args.isTheBookRun("book/08-scaling.md") ? ["\(out)", "book/figures"] : ["\(out)"]
@MainActor func save(_ svg: String, _ name: String) {
  for folder in figures { try? SVG.write(svg, to: "\(folder)/08-\(name).svg") }
}
if let result = approach2 { save(ScalingFigures.isoFLOP(result, points: points), "isoflop") }
if let law = fitted?.law, let result = approach2, !result.optima.isEmpty {
  let (low, high) = (budgets.first! / 3, predictFactor * budgets.last! * 3)
  save(
    ScalingFigures.frontier(
      result, law: law, budgets: (0...20).map { low * pow(high / low, Double($0) / 20) },
      flopsPerToken: plan.flopsPerToken(nonEmbedding:),
      prediction: predictionRun.map { ($0.budget, Double($0.nonEmbeddingParameters)) }), "frontier")
}
let ours = sweep + (predictionRun.map { [$0] } ?? [])
save(ScalingFigures.knownModels(learners: learners, sweep: ours), "known-models")

// MARK: 8. The calculator
report.section("7. the calculator")
/// The sustained FLOP rate this machine reached on real training: the largest run's MFU x peak.
let measured: (mfu: Double, source: String) = {
  if let r = (ours.max { $0.flops / Double($0.tokens) < $1.flops / Double($1.tokens) }) {
    return (mfuOf(r), "\(r.size.name)'s training run, the largest model trained here")
  }
  var options = TrainingOptions(steps: 4, batchSize: 8)
  options.evalBatches = 1
  var timed = chapter06  // chapter 06's shape, with this run's vocabulary (the token ids must fit wte)
  timed.vocabularySize = data.tokenizer.vocabularySize
  let trainer = Trainer(model: GPT(timed), train: trainTokens, validation: validationTokens, options: options)
  _ = try? trainer.trainStep()
  let started = monotonicSeconds()
  for _ in 0..<3 { _ = try? trainer.trainStep() }
  let perSecond = 3 * 8 * 128 / (monotonicSeconds() - started)
  let mfu = Compute.utilisation(
    tokensPerSecond: perSecond, flopsPerToken: chapter06.trainingFLOPsPerToken(), peakGFLOPs: peak)
  return (mfu, "3 steps of chapter 06's model")
}()
let sustained = measured.mfu * peak * 1e9
report.info(
  "measured MFU \((100 * measured.mfu).formatted(decimals: 0))% (\(measured.source)): "
    + "\((sustained / 1e9).formatted(decimals: 0)) GFLOP/s sustained"
)
if fitted == nil {
  report.info(
    "our fit's split needs a complete sweep in \(out): run ch08-scaling\(args.isSet("out") ? " --out \(out)" : "") "
      + "once, without the calculator's options")
}
/// A long duration in days and years (`formatDuration` stops at hours).
func calendar(_ seconds: Double) -> String {
  let days = seconds / 86_400
  return days < 2
    ? formatDuration(seconds)
    : "\(days.formatted(significant: 3)) days "
      + "(\((days / 365.25).formatted(significant: 3)) years)"
}
@MainActor func describe(_ name: String, flops: Double) {
  let largest = budgets.last! * predictFactor
  let split = fitted.map { fit in
    let best = fit.law.computeOptimal(budget: flops, flopsPerToken: plan.flopsPerToken(nonEmbedding:))
    let beyond = flops > 10 * largest ? " (\((flops / largest).formatted(significant: 2))x beyond its runs)" : ""
    return "our fit's split N \(best.parameters.formatted(significant: 3)), D "
      + "\(best.tokens.formatted(significant: 3))\(beyond)"
  }
  let chinchilla = LossLaw.chinchilla.computeOptimal(budget: flops, flopsPerToken: { 6 * $0 })
  report.info(
    "\(name): \(flops.formatted(significant: 3)) FLOPs = \(calendar(flops / sustained)) here at "
      + "\((100 * measured.mfu).formatted(decimals: 0))% MFU; "
      + "\(split.map { $0 + "; " } ?? "")Chinchilla's split N \(chinchilla.parameters.formatted(significant: 3)), D "
      + "\(chinchilla.tokens.formatted(significant: 3))"
  )
}
let gpt2PerToken = GPTConfig.gpt2Small.trainingFLOPsPerToken()  // counted product by product, as in section 1
describe(
  "GPT-2 124M on 10B tokens (\((gpt2PerToken / 1e6).formatted(decimals: 0)) MFLOP each, counted)",
  flops: gpt2PerToken * 10e9)
if calcN > 0 {
  describe("N \(calcN.formatted(significant: 3)), D \(calcD.formatted(significant: 3)) (6ND)", flops: 6 * calcN * calcD)
}
if calcC > 0 { describe("C \(calcC.formatted(significant: 3))", flops: calcC) }

// MARK: 9. Landmarks
report.section("8. where a loss stands")
var counts = [Int](repeating: 0, count: data.tokenizer.vocabularySize)
for t in trainTokens { counts[Int(t)] += 1 }
let unigram = counts.filter { $0 > 0 }.reduce(0.0) { sum, c in
  let p = Double(c) / Double(trainTokens.count)
  return sum - p * log(p)
}
@MainActor func landmark(_ name: String, _ nats: Double) {
  let perChar = nats / data.charactersPerToken
  report.info(
    "\(name): \(nats.formatted(decimals: 3)) nats/token, perplexity \(exp(nats).formatted(decimals: 1)), "
      + "\((perChar / log(2)).formatted(decimals: 3)) bits/char"
  )
}
landmark("uniform over \(data.tokenizer.vocabularySize) tokens", log(Double(data.tokenizer.vocabularySize)))
landmark("unigram frequencies (no context)", unigram)
if let best = ours.min(by: { $0.validationLoss < $1.validationLoss }) {
  landmark("best run here (\(best.size.name), C \(best.budget.formatted(significant: 2)))", Double(best.validationLoss))
}
report.info("Shannon (1951) put English at 0.6-1.3 bits/char; chapter 06's default run reaches about 2.3")
report.finish()
