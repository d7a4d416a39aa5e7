// Chapter 01: tokenization. Read book/01-tokenization.md alongside.
//
// The progression: characters -> bytes -> byte-level BPE -> pre-splitting -> special tokens
// -> a production tokenizer (cl100k), each measured on the same Shakespeare text.

import Exercises
import Foundation
import GPTKit
import Solutions

/// What this chapter can be told, read once and checked before any work. Each option's line
/// holds its default and its range; `--help` is printed from them. `--quick` changes nothing
/// here: the whole chapter takes seconds.
struct Options {
  static let data = Setting("data", "the text to train on", default: Corpus.shakespeare, placeholder: "PATH")
  static let vocab = Setting(
    "vocab", "BPE vocabulary size to train (saved for later chapters)", default: 512, in: 257...65_536)
  static let encode = Setting("encode", "show how TEXT is tokenized and exit", default: "")
  static let tiktoken = Setting(
    "tiktoken", "a tiktoken rank file to use (e.g. corpora/tiktoken/cl100k_base.tiktoken)", default: "",
    placeholder: "PATH")
  static let pattern = Setting(
    "pattern", "the split pattern of --tiktoken's rank file (default: the one its name says, else cl100k)",
    default: SplitPattern.cl100k)
  static let allowSpecial = Setting(
    "allow-special",
    "special tokens --encode reads as one token: all, none (their text is an error) or a comma-separated list; "
      + "unset, their text is ordinary text",
    default: "", placeholder: "WHICH")
  static let all: [Option] = [
    data.option, vocab.option, encode.option, tiktoken.option, pattern.option, allowSpecial.option,
  ]

  var dataPath: String
  var vocabularySize: Int
  /// The text to show cut into tokens, or nil to run the chapter.
  var encode: String?
  /// A rank file for `--encode` and the compression table, or nil for our trained BPE.
  var tiktoken: String?
  var pattern: SplitPattern
  /// tiktoken's `allowed_special` for `--encode`: nil encodes special token text as ordinary
  /// text (`encode_ordinary`), `[]` makes it an error, `["*"]` allows every special token.
  var allowSpecial: Set<String>?

  init(_ args: Arguments) {
    (dataPath, vocabularySize) = (args[Self.data], args[Self.vocab])
    encode = args.isSet(Self.encode) ? args[Self.encode] : nil
    tiktoken = args[Self.tiktoken].isEmpty ? nil : args[Self.tiktoken]
    // A rank file's name says which pattern it was trained with; a contradicting --pattern
    // would silently cut the text differently from tiktoken, so it is refused.
    let named = tiktoken.flatMap(SplitPattern.named(byFile:))
    if let named, args.isSet(Self.pattern), args[Self.pattern] != named {
      fail(
        "--pattern \(args[Self.pattern].rawValue) contradicts --tiktoken \(tiktoken!) (its name says "
          + "\(named.rawValue)): drop --pattern or pass --pattern \(named.rawValue)")
    }
    pattern = args.isSet(Self.pattern) ? args[Self.pattern] : named ?? .cl100k
    switch args[Self.allowSpecial] {
    case _ where !args.isSet(Self.allowSpecial): allowSpecial = nil
    case "none": allowSpecial = []
    case "all": allowSpecial = ["*"]
    case let list:
      let names = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      guard !names.isEmpty, names.allSatisfy({ $0.hasPrefix("<|") && $0.hasSuffix("|>") }) else {
        fail("--allow-special \(list.debugDescription) is not all, none or a list like '<|endoftext|>,<|fim_prefix|>'")
      }
      allowSpecial = Set(names)
    }
  }
}

let args = Arguments.parseOrExit(
  "ch01-tokenization",
  summary: "Chapter 01: from characters to byte-level BPE, checked against tiktoken.",
  options: Options.all + [Pieces.flag.option])
let options = Options(args)
let (dataPath, vocabularySize, pattern) = (options.dataPath, options.vocabularySize, options.pattern)
let corpus: String
do { corpus = try Corpus.load(dataPath, minimumBytes: 1000) } catch { fail(error.description) }
let cl100kPath = "corpora/tiktoken/cl100k_base.tiktoken"

/// The tokenizer `--encode` and the compression table use: a rank file, or our trained BPE.
@MainActor func chosenTokenizer() -> (BPETokenizer, String) {
  if let path = options.tiktoken {
    do {
      return (try RankFile.load(path, pattern: pattern, specialTokens: pattern.tiktokenSpecialTokens), path)
    } catch { fail(error.description) }
  }
  do {
    let (bpe, _) = try TokenizerStore.bpe(corpus: corpus, corpusPath: dataPath, vocabularySize: vocabularySize)
    return (bpe, "BPE-\(vocabularySize) trained on \(dataPath)")
  } catch { fail("\(error)") }
}

if let text = options.encode {  // the learner's tool: how is this text cut?
  let (bpe, name) = chosenTokenizer()
  let ids: [Int]
  if var allowed = options.allowSpecial {
    if allowed == ["*"] { allowed = Set(bpe.specialTokens.keys) }
    if let unknown = allowed.subtracting(bpe.specialTokens.keys).sorted().first {
      fail("--allow-special: \(name) has no special token \(unknown); it has \(bpe.specialTokens.keys.sorted())")
    }
    do { ids = try bpe.encode(text, allowedSpecial: allowed) } catch {
      guard case .disallowedSpecialToken(let token) = error else { fail(error.description) }
      fail("the text contains the special token \(token): add it to --allow-special, or leave that option out")
    }
  } else {
    ids = bpe.encodeOrdinary(text)
  }
  print("\(name): \(text.utf8.count) bytes -> \(ids.count) tokens")
  print(ids.map { "[\(bpe.display($0))]" }.joined())
  print(ids.map(String.init).joined(separator: " "))
  if ids.contains(where: { String(validating: bpe.bytes(of: $0), as: UTF8.self) == nil }) {
    print("(<0xE2> is one byte of a character that the token holds only part of: byte-level BPE cuts anywhere)")
  }
  exit(0)
}

// The tokenizer later chapters use: trained on the whole text (or found), with a clear error
// when the text is too small for the vocabulary asked for.
let saved: (tokenizer: BPETokenizer, trained: Bool)
do { saved = try TokenizerStore.bpe(corpus: corpus, corpusPath: dataPath, vocabularySize: vocabularySize) } catch {
  fail("\(error)")
}

let report = ChapterReport("01 tokenization")
let split = corpus.index(corpus.startIndex, offsetBy: corpus.count * 9 / 10)
let (train, heldOut) = (String(corpus[..<split]), String(corpus[split...]))
report.info(
  "\(dataPath): \(corpus.utf8.count) bytes, \(corpus.unicodeScalars.count) scalars; 90% trains, 10% is held out")

// MARK: 1. Characters
report.section("1. one token per character (Unicode scalar)")
let chars = CharTokenizer(corpus: train)
report.info(
  "vocabulary: \(chars.vocabularySize) scalars: \(String(String.UnicodeScalarView(chars.scalars)).debugDescription)")
let line = (try? chars.encode("First Citizen:")) != nil ? "First Citizen:" : String(train.prefix(14))  // your text's
let lineIDs = try? chars.encode(line)
report.check(
  "\"\(line)\" -> \(lineIDs.map { "\($0.prefix(5))..." } ?? "?") decodes back", lineIDs.map(chars.decode) == line)
// "ï" is not in Shakespeare; for a text that has it, the first of these (or a private-use scalar) that is not.
let outside = (["ï", "ø", "☃"] + (0xE000...0xF8FF).compactMap(Unicode.Scalar.init)).first {
  (try? chars.encode("\($0)")) == nil
}!
do {
  // "na" and "ve" around it, or the vocabulary's first scalar for a text without them.
  let (head, tail) = (try? chars.encode("nave")) != nil ? ("na", "ve") : (chars.decode([0, 0]), chars.decode([0]))
  _ = try chars.encode("\(head)\(outside)\(tail)")
  report.check("a character outside the vocabulary is rejected", false)
} catch {
  report.check(
    "'\(outside)' is not in the vocabulary: encode reports it with its offset",
    error == .unknownCharacter(outside, offset: 2))
}
let composed = "\u{E9}"
let decomposed = "e\u{301}"
let decomposedScalars = decomposed.unicodeScalars.count
report.check(
  "\"é\" composed is 1 scalar, decomposed is \(decomposedScalars); Swift counts both as \(decomposed.count) Character",
  composed == decomposed && composed.unicodeScalars.count == 1 && decomposed.count == 1)

// MARK: 2. Bytes
report.section("2. bytes: a vocabulary of 256 that covers every text")
let sample = "héllo 日本 😀"
report.check(
  "\"\(sample)\": \(sample.unicodeScalars.count) scalars but \(sample.utf8.count) UTF-8 bytes",
  sample.utf8.count == 18 && sample.unicodeScalars.count == 10)

// MARK: 3. Byte-pair encoding
report.section("3. byte-pair encoding: merge the most frequent pair, again and again")
/// `--mine`: your exercise 1.4 (Sources/Exercises) trains minbpe's example and a slice of the corpus.
let mine = Pieces.chosen(args, solutions: Pieces.solutions)
mine?.announceTokenization(report, corpus: corpus)
let golden =
  mine?.bpe("aaabdaaabac", merges: 3) ?? (try! BPETrainer.train("aaabdaaabac", vocabularySize: 259, specialTokens: []))
let goldenIDs = golden.encodeOrdinary("aaabdaaabac")
report.check(
  "minbpe's example: \"aaabdaaabac\", 3 merges -> \(goldenIDs)" + (mine?.tag(["1.4": mine?.trainMerges != nil]) ?? ""),
  goldenIDs == [258, 100, 258, 97, 99])
var timings: [Int: Double] = [:]
var tokenizers: [Int: BPETokenizer] = [:]
for size in Set([512, 4096, vocabularySize]).sorted() {
  let start = monotonicSeconds()
  do {
    tokenizers[size] = try BPETrainer.train(train, vocabularySize: size)
    timings[size] = monotonicSeconds() - start
  } catch {
    report.info("no BPE-\(size) for comparison: \(error)")
  }
}
let mainBPE = tokenizers[vocabularySize] ?? saved.tokenizer  // the chapter's main BPE (512 by default)
let firstMerges = (256..<266).map { mainBPE.decode([$0]).debugDescription }.joined(separator: " ")
report.check(
  "BPE-\(vocabularySize) has \(vocabularySize - 1) ranks + <|endoftext|>; its first merges: \(firstMerges)",
  mainBPE.vocabularySize == vocabularySize)
for size in timings.keys.sorted() {
  report.info("trained BPE-\(size) on \(train.utf8.count) bytes in \(formatDuration(timings[size]!))")
}

// MARK: 4. Pre-splitting
report.section("4. pre-splitting: where merges may not cross")
let phrase = "I'll say it's 12345 times:\n  HELLO world!!"
for p in SplitPattern.allCases {
  report.info(
    "\(p.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) "
      + p.pieces(of: phrase).map { "[\(BPETokenizer.display(bytes: Array($0.utf8)))]" }.joined())
}
report.check(
  "cl100k splits digits in threes: \(SplitPattern.cl100k.pieces(of: "12345").debugDescription)",
  SplitPattern.cl100k.pieces(of: "12345") == ["123", "45"])

// MARK: 5. Special tokens and round trips
report.section("5. special tokens and round trips")
let eot = mainBPE.specialTokens["<|endoftext|>"]!
let withEOT = try? mainBPE.encode("to be<|endoftext|>or not", allowedSpecial: ["<|endoftext|>"])
report.check("<|endoftext|> becomes one id (\(eot)) when allowed", withEOT?.filter { $0 == eot }.count == 1)
report.check("... and is an error when not allowed", (try? mainBPE.encode("to be<|endoftext|>")) == nil)
let roundTrips = ["plain ASCII, with punctuation!", "accents: café, naïve, ÉCOLE", "emoji: 😀👍🏽🇫🇷", "CJK: 日本語"]
report.check(
  "decode(encode(s)) == s for ASCII, accents, emoji and CJK",
  roundTrips.allSatisfy { mainBPE.decode(mainBPE.encodeOrdinary($0)) == $0 })
report.check("invalid bytes decode to U+FFFD instead of crashing", mainBPE.decode([0xE6, 0x97]) == "\u{FFFD}")

// MARK: 6. Compression
report.section("6. compression on held-out text (bytes per token, higher is shorter sequences)")
let heldBytes = Double(heldOut.utf8.count)
var rows: [(String, Double)] = [("char", heldBytes / Double(heldOut.unicodeScalars.count))]
for size in tokenizers.keys.sorted() {
  rows.append(("BPE-\(size)", heldBytes / Double(tokenizers[size]!.encodeOrdinary(heldOut).count)))
}
let cl100k = try? RankFile.load(cl100kPath, pattern: .cl100k, specialTokens: ["<|endoftext|>": 100_257])
if let cl100k { rows.append(("cl100k", heldBytes / Double(cl100k.encodeOrdinary(heldOut).count))) }
for (name, ratio) in rows {
  report.info("\(name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(ratio.formatted(decimals: 2)) bytes/token")
}
let ratios = Dictionary(uniqueKeysWithValues: rows)
let ladder = ["char", "BPE-512", "BPE-4096"].compactMap { name in ratios[name].map { (name, $0) } }
report.check(
  "bigger vocabularies compress more: "
    + ladder.map { "\($0.0) \($0.1.formatted(decimals: 2))" }.joined(separator: " < "),
  zip(ladder, ladder.dropFirst()).allSatisfy { $0.1 < $1.1 })

if args.isTheBookRun("book/01-tokenization.md") {
  // The book's figure: compression against vocabulary size (seconds of training in all).
  var points: [(x: Double, y: Double)] = [(8, 1)]  // 256 byte tokens: one byte per token
  for size in [384, 512, 1024, 2048, 4096, 8192] {
    if let bpe = try? BPETrainer.train(train, vocabularySize: size) {
      points.append((log2(Double(size)), heldBytes / Double(bpe.encodeOrdinary(heldOut).count)))
    }
  }
  let figure = SVG.lineChart(
    [SVG.Series("BPE trained on the corpus", points)], title: "Compression of held-out Shakespeare (chapter 01)",
    xLabel: "log2 of the vocabulary size (8: bytes only, 9: 512, 12: 4096, 13: 8192)", yLabel: "bytes per token")
  try? SVG.write(figure, to: "book/figures/01-compression.svg")
  let labels = points.map { "\(Int(pow(2, $0.x).rounded())): \($0.y.formatted(decimals: 2))" }
  report.info("wrote book/figures/01-compression.svg (vocabulary: bytes/token) " + labels.joined(separator: ", "))
}

// MARK: 7. A production tokenizer
report.section("7. a production tokenizer: GPT-4's cl100k_base")
if let cl100k {
  // Ids produced by tiktoken 0.14 (see Tests/GPTKitTests/Fixtures for 327 more texts).
  let known: [(String, [Int])] = [
    ("Hello, world! This is a test of the tokenizer.", [9906, 11, 1917, 0, 1115, 374, 264, 1296, 315, 279, 47058, 13]),
    ("café naïve résumé façade ÉCOLE", [936, 59958, 95980, 588, 9517, 1264, 978, 95972, 1037, 29124, 8445, 877]),
  ]
  report.check(
    "cl100k encodes like tiktoken: \(known[0].1.prefix(4))...", known.allSatisfy { cl100k.encodeOrdinary($0.0) == $0.1 }
  )
} else {
  report.info("skipped: \(cl100kPath) is missing; run `python3 corpora/fetch_tiktoken.py` to compare with tiktoken")
}

// MARK: 8. Save for later chapters
let savedPath = TokenizerStore.path(corpus: corpus, corpusPath: dataPath, vocabularySize: vocabularySize)
let reloaded = try? RankFile.load(savedPath)
report.info(
  "\(saved.trained ? "trained and saved" : "found") BPE-\(vocabularySize) at \(savedPath) (chapters 02-09 load it)")
report.check(
  "the saved BPE-\(vocabularySize) reloads and encodes identically",
  reloaded.map { $0.encodeOrdinary(heldOut) == saved.tokenizer.encodeOrdinary(heldOut) } ?? false)
report.finish()
