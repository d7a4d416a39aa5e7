// Chapter 03: embeddings. Read book/03-embeddings.md alongside.
//
// Token ids become vectors by table lookup; positions get vectors too (learned or
// sinusoidal) and are added in; a tiny bigram model learns embeddings whose geometry we can
// look at.

import Exercises
import Foundation
import GPTKit
import Solutions

/// What this chapter can be told, read once and checked before any work (see chapter 06).
struct Options {
  static let data = Setting("data", "the text for the bigram model", default: Corpus.shakespeare, placeholder: "PATH")
  static let steps = Setting("steps", "training steps of the bigram model", default: 600, quick: 120, in: 1...1_000_000)
  static let channels = Setting("channels", "embedding width C of the bigram model", default: 16, in: 2...1024)
  static let all: [Option] = [data.option, steps.option, channels.option]

  var dataPath: String
  var steps: Int
  var channels: Int
  /// Windows of 64 characters per step: not an option, set by the quick preset too.
  var batchSize = 32

  init(_ args: Arguments) {
    (dataPath, steps, channels) = (args[Self.data], args[Self.steps], args[Self.channels])
    if args.flag("quick") { batchSize = 8 }  // the quick preset
  }
}

let args = Arguments.parseOrExit(
  "ch03-embeddings",
  summary: "Chapter 03: token and position embeddings, their backward, and what they learn.",
  options: Options.all + [Pieces.flag.option])
let options = Options(args)
let (steps, batchSize, C) = (options.steps, options.batchSize, options.channels)
let data: TrainingText
/// The bigram model reads windows of 64 characters, `batchSize` of them per step.
let bigramWindows: TokenWindows
do {
  data = try TrainingText.load(options.dataPath, tokenizer: .char)
  bigramWindows = TokenWindows(trainValidationSplit(data.tokens).train, contextLength: 64, stride: 64)
  try bigramWindows.requireBatch(
    of: options.batchSize, from: options.dataPath, fix: args.flag("quick") ? "" : "run with --quick (8 windows a step)")
} catch { fail("\(error)") }
guard data.tokenizer.vocabularySize >= 2 else {
  fail("\(options.dataPath) uses only one character: a bigram model has nothing to learn, use a real text")
}
let corpus = data.text
let report = ChapterReport("03 embeddings")
/// `--mine`: your exercise 3.2 (Sources/Exercises) as the lookup's backward, in the checks and the training below.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
mine?.announceEmbeddings(report)
/// The backward of `x = wte[tokens]`: the library's, or exercise 3.2 under `--mine`.
@MainActor func lookupBackward(_ dOut: Tensor, tokens: [Int32], V: Int) -> Tensor {
  mine?.embeddingBackward(dOut, tokens: tokens, V: V)
    ?? Embedding.backward(dOut, tokens: tokens, vocabularySize: V).dWte
}
let backwardTag = mine?.tag(["3.2": mine?.embeddingBackward != nil]) ?? ""
var rng = SplitMix64(seed: 3)

// MARK: 1. Lookup
report.section("1. an embedding is a table lookup")
let chars = CharTokenizer(corpus: corpus)
let V = chars.vocabularySize
let wte = Tensor.randn([V, C], std: 0.02, rng: &rng)
let sample = try! chars.encode(String(corpus.prefix(8))).map(Int32.init)
let looked = Embedding.forward(wte, tokens: sample, B: 1, T: sample.count)  // (1, T, C): wte[sample]
var onehot = Tensor(shape: [sample.count, V])
for (t, id) in sample.enumerated() { onehot[t, Int(id)] = 1 }
report.info("wte is (V, C) = (\(V), \(C)); \"\(corpus.prefix(8))\" is ids \(sample)")
report.check(
  "looking up \(sample.count) rows of wte equals onehot (\(sample.count), \(V)) x wte (\(V), \(C)), exactly",
  looked.reshaped([sample.count, C]) == matmul(onehot, wte))

// MARK: 2. Backward
report.section("2. the backward of a lookup is a scatter-add")
let (once, thrice): (Int32, Int32) = V > 9 ? (9, 5) : (0, Int32(V - 1))  // two ids every vocabulary has
let repeated = [thrice, once, thrice, thrice]  // one id three times
let dOut = Tensor.randn([1, 4, C], rng: &rng)
let dWte = lookupBackward(dOut, tokens: repeated, V: V)  // (V, C), scattered
let expected = (0..<C).map { dOut[0, 0, $0] + dOut[0, 2, $0] + dOut[0, 3, $0] }
report.check(
  "id \(thrice), looked up 3 times, collects the sum of its 3 gradients" + backwardTag,
  (0..<C).allSatisfy { abs(dWte[Int(thrice), $0] - expected[$0]) < 1e-6 })
let check = GradientCheck.check(wte, forward: { Embedding.forward($0, tokens: repeated, B: 1, T: 4) }) { dOut in
  lookupBackward(dOut, tokens: repeated, V: V)
}
report.check(
  "embedding backward passes the gradient check: rel err \(check.relativeError.formatted(significant: 1))"
    + backwardTag,
  check.passes())

// MARK: 3. Positions
report.section("3. positions: learned or sinusoidal, added to the tokens")
let (PT, PC) = (64, 64)
let table = Embedding.sinusoidal(T: PT, C: PC)
var worst = 0.0
for t in 0..<PT {
  for i in 0..<(PC / 2) {
    let angle = Double(t) / pow(10_000, Double(2 * i) / Double(PC))
    worst = max(worst, abs(Double(table[t, 2 * i]) - sin(angle)), abs(Double(table[t, 2 * i + 1]) - cos(angle)))
  }
}
report.check(
  "the sinusoidal table (\(PT), \(PC)) matches sin/cos(t / 10000^(2i/C)): max diff \(worst.formatted(significant: 1))",
  worst < 1e-6)
@MainActor func dot(_ a: Int, _ b: Int) -> Float { (0..<PC).reduce(0) { $0 + table[a, $1] * table[b, $1] } }
let spread = (0..<(PT - 5)).map { dot($0, $0 + 5) }
report.check(
  "PE[t] · PE[t+5] is the same for every t "
    + "(spread \((spread.max()! - spread.min()!).formatted(significant: 1))): it encodes the offset",
  spread.max()! - spread.min()! < 1e-3)
let learned = GPTConfig(vocabularySize: V, contextLength: 256, layerCount: 1, headCount: 1, channels: C)
var fixed = learned
fixed.positions = .sinusoidal
report.check(
  "learned positions cost T x C = \(256 * C) parameters (wpe); sinusoidal ones cost none",
  learned.parameterCount - fixed.parameterCount == 256 * C
    && GPT(fixed).layout.entries.allSatisfy { $0.name != "transformer.wpe.weight" })
if args.isTheBookRun("book/03-embeddings.md") {
  try? SVG.write(
    SVG.heatmap(table, title: "Sinusoidal positions: rows t = 0..63, columns c = 0..63", cellSize: 7),
    to: "book/figures/03-sinusoidal.svg")
  report.info("wrote book/figures/03-sinusoidal.svg")
}

// MARK: 4. Learning embeddings
report.section("4. what embeddings learn: a bigram model")
// logits = wte[x] · W + b: predict the next character from the current one alone.
var loader = DataLoader(bigramWindows, batchSize: batchSize, seed: 3)
var embedding = Tensor.randn([V, C], std: 0.02, rng: &rng)
var W = Tensor.randn([C, V], std: 0.02, rng: &rng)
var bias = Tensor(shape: [V])
let N = batchSize * 64
var losses: [Float] = []
for _ in 0..<steps {
  let batch = loader.nextBatch()  // N characters, each predicting the next
  let x = Embedding.forward(embedding, tokens: batch.x, B: N, T: 1)  // (N, 1, C): wte[x]
  let logits = Linear.forward(x, weight: W, bias: bias)  // (N, 1, C) x (C, V) + b -> (N, 1, V)
  let (loss, probs, counted) = CrossEntropy.forward(logits, targets: batch.y)
  losses.append(loss)
  var dLogits = Tensor(shape: logits.shape)
  CrossEntropy.backward(probs: probs, targets: batch.y, counted: counted, into: &dLogits)
  let (dX, dW, dB) = Linear.backward(dLogits, input: x, weight: W)  // through logits = x · W + b
  let dE = lookupBackward(dX, tokens: batch.x, V: V)  // through x = wte[x]
  let lr: Float = 2.0  // plain SGD; chapter 06 brings AdamW
  embedding = embedding + (-lr * Float(V) / 8) * dE  // rare rows get tiny gradients: a larger step for the table
  W = W + (-lr) * dW
  bias = bias + (-lr) * dB
}
report.check(
  "the bigram model starts at ln(\(V)) = \(log(Float(V)).formatted(decimals: 2)): \(losses[0].formatted(decimals: 2))",
  abs(losses[0] - log(Float(V))) < 0.05)
let late = losses.suffix(20).reduce(0, +) / 20
report.info("after \(steps) steps of SGD: loss \(late.formatted(decimals: 3)) nats per character")
report.check("plain SGD takes it below 3.0 nats per character" + backwardTag, late < 3.0)
@MainActor func row(_ id: Int) -> ArraySlice<Float> { embedding.storage[(id * C)..<(id * C + C)] }
for (a, b) in [("a", "e"), ("a", "o"), ("a", "t"), ("a", "."), ("A", "a")] {
  guard let ids = try? chars.encode(a + b) else { continue }  // a text without them: nothing to compare
  report.info("cosine(\(a), \(b)) = \(Projection.cosineSimilarity(row(ids[0]), row(ids[1])).formatted(decimals: 2))")
}
if args.isTheBookRun("book/03-embeddings.md") {
  let projected = Projection.principal2D(embedding)
  let points = chars.scalars.enumerated().map {
    (String($1).debugDescription.dropFirst().dropLast().description, projected[$0].0, projected[$0].1)
  }
  try? SVG.write(
    SVG.scatter(
      points, title: "Character embeddings after bigram training, first two principal components",
      xLabel: "component 1", yLabel: "component 2"),
    to: "book/figures/03-embeddings-2d.svg")
  report.info("wrote book/figures/03-embeddings-2d.svg")
}
report.finish()
