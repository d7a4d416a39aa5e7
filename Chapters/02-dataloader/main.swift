// Chapter 02: the data loader. Read book/02-dataloader.md alongside.
//
// A token stream becomes training examples: a 90/10 split, windows of T tokens whose
// targets are the same tokens shifted by one, shuffled batches of shape (B, T), and the
// random-offset sampling nanoGPT uses instead.

import Exercises
import Foundation
import GPTKit
import Solutions

/// What this chapter can be told, read once and checked before any work. Each option's line
/// holds its default and its range; `--help` is printed from them. `--quick` changes nothing
/// here: the whole chapter takes seconds.
struct Options {
  static let data = Setting("data", "the text to load", default: Corpus.shakespeare, placeholder: "PATH")
  static let tokenizer = Setting(
    "tokenizer", "bpe (trained in chapter 01) or char: one token per character", default: TrainingText.Tokenizer.bpe,
    among: [.bpe, .char])
  static let vocab = Setting("vocab", "BPE vocabulary size", default: 512, in: 257...65_536)
  static let context = Setting("context", "context length T: tokens per window", default: 64, in: 1...65_536)
  static let stride = Setting(
    "stride", "distance between window starts, 0 for T (windows that tile)", default: 0, in: 0...65_536)
  static let batch = Setting("batch", "batch size B", default: 8, in: 1...65_536)
  static let seed = Setting("seed", "seed for the shuffled order", default: 1337, in: 0...Int.max)
  static let all: [Option] = [
    data.option, tokenizer.option, vocab.option, context.option, stride.option, batch.option, seed.option,
  ]

  var dataPath: String
  var tokenizer: TrainingText.Tokenizer
  var vocabularySize: Int
  var T: Int
  var stride: Int
  var B: Int
  var seed: UInt64

  init(_ args: Arguments) {
    (dataPath, tokenizer, vocabularySize) = (args[Self.data], args[Self.tokenizer], args[Self.vocab])
    (T, B, seed) = (args[Self.context], args[Self.batch], UInt64(args[Self.seed]))
    stride = args[Self.stride] == 0 ? T : args[Self.stride]
  }
}

let args = Arguments.parseOrExit(
  "ch02-dataloader",
  summary: "Chapter 02: from a token stream to shuffled (x, y) batches.",
  options: Options.all + [Pieces.flag.option])
let options = Options(args)
let (dataPath, T, stride, B, seed) = (options.dataPath, options.T, options.stride, options.B, options.seed)
let start = monotonicSeconds()
let data: TrainingText
do {
  data = try TrainingText.load(dataPath, tokenizer: options.tokenizer, vocabularySize: options.vocabularySize)
} catch {
  fail("\(error)")
}
let (corpus, tokenizer, tokens, cachePath) = (data.text, data.tokenizer, data.tokens, data.cachePath)

let (train, validation) = trainValidationSplit(tokens)
guard validation.count > T else {
  fail(
    "\(dataPath) gives \(validation.count) validation tokens; a window needs T + 1 = \(T + 1): "
      + "use a longer text or a smaller --context")
}
do {  // a batch of B training windows, with --stride and with stride T (section 4's epoch)
  for w in [TokenWindows(train, contextLength: T, stride: stride), TokenWindows(train, contextLength: T, stride: T)] {
    try w.requireBatch(of: B, from: dataPath, fix: "a smaller --batch, --context or --stride")
  }
} catch { fail("\(error)") }

let report = ChapterReport("02 dataloader")
/// `--mine`: your exercises 2.1 and 2.2 (Sources/Exercises) cut and count the windows below.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
mine?.announceWindows(report)

// MARK: 1. The token stream, cached
report.section("1. the token stream, encoded once and cached")
if data.trainedTokenizer {
  report.info(
    "no saved tokenizer for this text: trained BPE-\(tokenizer.vocabularySize) now (chapter 01 does this too)")
}
let ready = formatDuration(monotonicSeconds() - start)
report.info(
  "\(tokenizer.identity): \(tokens.count) tokens from \(corpus.utf8.count) bytes, ready in \(ready) (\(cachePath))")
let fileSize = (try? FileManager.default.attributesOfItem(atPath: cachePath)[.size] as? Int) ?? 0
let bytesPerToken = tokenizer.vocabularySize <= 65_536 ? 2 : 4
report.check(
  "the cache stores \(tokens.count) tokens in \(fileSize) bytes: \(bytesPerToken) bytes each",
  fileSize == 20 + bytesPerToken * tokens.count)
report.check(
  "reading the cache gives the same tokens as encoding afresh",
  (try? TokenFile.read(cachePath)) == (try? tokenizer.encodeText(corpus).map(Int32.init)))

// MARK: 2. The split
report.section("2. train on the first 90%, validate on the last 10%")
report.info("train: \(train.count) tokens, validation: \(validation.count) tokens")
report.check(
  "the split is at a token boundary and loses nothing: \(train.count) + \(validation.count) = \(tokens.count)",
  train + validation == tokens)

// MARK: 3. Windows
report.section("3. windows: T inputs and the same T shifted by one as targets")
let windows = TokenWindows(train, contextLength: T, stride: stride)
let (x0, y0) = windows.window(0)
report.info("window 0, x: \(tokenizer.decode(x0.prefix(12).map(Int.init)).debugDescription)...")
report.info("window 0, y: \(tokenizer.decode(y0.prefix(12).map(Int.init)).debugDescription)...")
/// Every window: the library's, or cut by exercise 2.2 under `--mine`.
let cut =
  mine?.windows(train, T: T, stride: stride, count: windows.count) ?? (0..<windows.count).map { windows.window($0) }
let shifted = cut.indices.allSatisfy { i in
  let (x, y) = cut[i]
  return Array(x.dropFirst()) == Array(y.dropLast()) && x.first == train[i * stride]
}
report.check(
  "y is x shifted by one in every window (\(windows.count) windows of T = \(T), stride \(stride))"
    + (mine?.tag(["2.2": mine?.window != nil]) ?? ""), shifted)
let tiled = TokenWindows(train, contextLength: T, stride: T)
var seen = [Int](repeating: 0, count: train.count)
for i in 0..<tiled.count { for p in (i * T)..<(i * T + T) { seen[p] += 1 } }
let tail = train.count - tiled.count * T
report.check(
  "with stride = T every training token is an input exactly once per epoch, but the last \(tail)",
  seen.dropLast(tail).allSatisfy { $0 == 1 } && seen.suffix(tail).allSatisfy { $0 == 0 } && tail <= T)
let lastTarget = (tiled.count - 1) * T + T  // index in `tokens` of the last target read
report.check(
  "no training window reads a validation token: last target at \(lastTarget) < split at \(train.count)",
  lastTarget < train.count)
var countsMatch = true
var countLines: [String] = []
for (t, s) in [(4, 4), (4, 2), (4, 1), (64, 64), (64, 32), (256, 256), (256, 128)] {
  let formula =
    mine?.windows(tokens: train.count, T: t, stride: s) ?? (train.count < t + 1 ? 0 : (train.count - t - 1) / s + 1)
  let enumerated = Swift.stride(from: 0, through: train.count - t - 1, by: s).reduce(0) { count, _ in count + 1 }
  countsMatch =
    countsMatch && formula == enumerated && formula == TokenWindows(train, contextLength: t, stride: s).count
  countLines.append("(\(t), \(s)): \(formula)")
}
report.check(
  "window counts (T, stride) = (N - T - 1) / stride + 1: \(countLines.joined(separator: ", "))"
    + (mine?.tag(["2.1": mine?.windowCount != nil]) ?? ""), countsMatch)

// MARK: 4. Batches
report.section("4. shuffled batches of shape (B, T)")
var loader = DataLoader(windows, batchSize: B, seed: seed)
let first = loader.nextBatch()
report.check(
  "a batch is (B, T) = (\(B), \(T)): x and y hold \(B * T) ids each",
  first.B == B && first.T == T && first.x.count == B * T && first.y.count == B * T)
report.check(
  "\(windows.count) windows / B = \(loader.batchesPerEpoch) batches per epoch; "
    + "the ragged tail of \(windows.count % B) windows waits for the next shuffle",
  loader.batchesPerEpoch == windows.count / B)
var again = DataLoader(windows, batchSize: B, seed: seed)
var other = DataLoader(windows, batchSize: B, seed: seed + 1)
report.check(
  "seed \(seed) gives the same first batch twice, seed \(seed + 1) a different one",
  again.nextBatch() == first && other.nextBatch() != first)
var epochLoader = DataLoader(TokenWindows(train, contextLength: T, stride: T), batchSize: B, seed: seed)
var visits = [Int](repeating: 0, count: epochLoader.windows.count)
for _ in 0..<epochLoader.batchesPerEpoch { for i in epochLoader.nextIndices() { visits[i] += 1 } }
let epochBatches = epochLoader.batchesPerEpoch
let tiling = stride == T ? "" : "with stride T (windows that tile), "  // this epoch's windows, not --stride's
report.check(
  "\(tiling)one epoch of \(epochBatches) batches visits \(epochBatches * B) different windows once each",
  visits.filter { $0 == 1 }.count == epochLoader.batchesPerEpoch * B && visits.allSatisfy { $0 <= 1 })
_ = epochLoader.nextIndices()
report.check("the next batch starts epoch 1 with a fresh shuffle", epochLoader.epoch == 1)

// MARK: 5. Random offsets
report.section("5. nanoGPT's random offsets: simpler, but not an epoch")
var sampler = RandomOffsetSampler(train, contextLength: T, batchSize: B, seed: seed)
let startsPerEpoch = train.count / T  // as many windows as one epoch of stride-T windows
var covered = [Bool](repeating: false, count: train.count)
for _ in 0..<startsPerEpoch {
  let s = sampler.nextStart()
  for p in s..<(s + T) { covered[p] = true }
}
let coverage = Double(covered.filter { $0 }.count) / Double(train.count)
let percent = (100 * coverage).formatted(decimals: 1)
report.check(
  "\(startsPerEpoch) random windows (one epoch's worth) cover \(percent)% of training tokens, near 1 - 1/e = 63.2%",
  abs(coverage - (1 - exp(-1))) < max(0.02, 1.5 / Double(startsPerEpoch).squareRoot()))  // wider for few windows
report.finish()
