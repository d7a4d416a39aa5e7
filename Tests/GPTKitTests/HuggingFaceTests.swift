import Foundation
import Testing

@testable import GPTKit

/// What Hugging Face's `tokenizers` library did with the `tokenizer.json` files we write for
/// the committed BPE-512 and for the corpus's characters (`make_huggingface_fixture.py`).
struct HuggingFaceFixture: Decodable {
  var tokenizers_version: String
  /// Per text of `tiktoken_cases.json`: the ids, or `nil` where `tokenizers` refused the text.
  var bpe: [[Int]?]
  var chars: [[Int]?]
  /// Whether decoding the ids gave the text back.
  var bpeRoundTrips: [Bool]

  static let folder = repositoryRoot.appendingPathComponent("Tests/GPTKitTests/Fixtures")
  static let shared: HuggingFaceFixture = {
    let url = folder.appendingPathComponent("huggingface_cases.json")
    return try! JSONDecoder().decode(HuggingFaceFixture.self, from: Data(contentsOf: url))
  }()
}

/// The parts of a `tokenizer.json` that decide the ids.
struct HuggingFaceTokenizerFile: Decodable, Equatable {
  struct Model: Decodable, Equatable {
    var type: String
    var vocab: [String: Int]
    var merges: [String]?
    var ignore_merges: Bool?
  }
  struct Added: Decodable, Equatable {
    var id: Int
    var content: String
    var special: Bool
  }
  struct Pattern: Decodable, Equatable { var Regex: String }
  struct Split: Decodable, Equatable {
    var type: String
    var pattern: Pattern?
  }
  struct PreTokenizer: Decodable, Equatable {
    var type: String
    var pattern: Pattern?
    var pretokenizers: [Split]?
  }
  var model: Model
  var added_tokens: [Added]
  var pre_tokenizer: PreTokenizer
}

@Suite("06 training: the tokenizer as Hugging Face reads it")
struct HuggingFaceTokenizerTests {
  static let bpe = try! RankFile.load(
    HuggingFaceFixture.folder.appendingPathComponent("shakespeare-bpe512.tiktoken").path)
  static let chars = CharTokenizer(
    corpus: try! String(contentsOf: repositoryRoot.appendingPathComponent("corpora/shakespeare.txt"), encoding: .utf8))

  static func written(_ tokenizer: TextTokenizer) throws -> Data {
    try #require(try HuggingFaceTokenizer.files(for: tokenizer, contextLength: 128)["tokenizer.json"])
  }

  /// The fixture files are what we write today (`UPDATE_FIXTURES=1` rewrites them; then run
  /// `make_huggingface_fixture.py` again).
  @Test(arguments: ["shakespeare-bpe512.hf.json", "shakespeare-chars.hf.json"])
  func theFilesPythonReadAreTheOnesWeWrite(_ name: String) throws {
    let data = try Self.written(name.contains("bpe") ? Self.bpe : Self.chars)
    let url = HuggingFaceFixture.folder.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["UPDATE_FIXTURES"] == "1" { try data.write(to: url) }
    let decoder = JSONDecoder()
    #expect(
      try decoder.decode(HuggingFaceTokenizerFile.self, from: data)
        == decoder.decode(HuggingFaceTokenizerFile.self, from: Data(contentsOf: url)),
      "\(name) is stale: run UPDATE_FIXTURES=1 swift test --filter HuggingFace, then make_huggingface_fixture.py")
  }

  @Test func huggingFaceGivesOurBytePairIds() throws {
    let fixture = HuggingFaceFixture.shared
    let texts = TiktokenFixture.shared.texts
    #expect(fixture.bpe.count == texts.count)
    var differ = 0
    for (text, ids) in zip(texts, fixture.bpe) {
      // Hugging Face reads `<|endoftext|>` in text as the special token, as tiktoken does when it is allowed.
      if try ids != Self.bpe.encode(text, allowedSpecial: ["<|endoftext|>"]) { differ += 1 }
    }
    #expect(differ == 0, "\(differ) of \(texts.count) texts get other ids from Hugging Face")
    #expect(fixture.bpeRoundTrips.allSatisfy { $0 }, "Hugging Face decodes every text back")
  }

  @Test func huggingFaceGivesOurCharacterIdsAndRefusesTheSameTexts() throws {
    let fixture = HuggingFaceFixture.shared
    let texts = TiktokenFixture.shared.texts
    var (differ, encoded) = (0, 0)
    for (text, ids) in zip(texts, fixture.chars) {
      let ours = try? Self.chars.encode(text)
      if ours != ids { differ += 1 }
      if ours != nil { encoded += 1 }
    }
    #expect(differ == 0, "\(differ) of \(texts.count) texts are treated differently")
    #expect(encoded > 10 && encoded < texts.count, "both outcomes are exercised (\(encoded) encoded)")
  }

  @Test func theMergesAreTheRanksInOrder() throws {
    let file = try JSONDecoder().decode(HuggingFaceTokenizerFile.self, from: Self.written(Self.bpe))
    let merges = try #require(file.model.merges)
    #expect(file.model.vocab.count == Self.bpe.rankCount && merges.count == Self.bpe.rankCount - 256)
    for (i, merge) in merges.enumerated() {  // merge i joins two earlier tokens into token 256 + i
      let halves = merge.split(separator: " ").map(String.init)
      let (left, right) = try (#require(file.model.vocab[halves[0]]), #require(file.model.vocab[halves[1]]))
      #expect(left < 256 + i && right < 256 + i && file.model.vocab[halves[0] + halves[1]] == 256 + i)
    }
    #expect(file.model.vocab["Ġthe"] != nil, "a space is Ġ in GPT-2's byte table")
    #expect(file.model.ignore_merges == true)
    #expect(file.added_tokens.map(\.content) == ["<|endoftext|>"] && file.added_tokens[0].id == 511)
  }

  @Test func aTokenNoMergeMakesIsReportedNotWritten() {
    // "abc" without "ab" or "bc": byte-pair merging never produces it.
    let odd = BPETokenizer(ranks: (0..<256).map { [UInt8($0)] } + [Array("abc".utf8)], pattern: .cl100k)
    #expect(throws: TokenizerError.unreachableToken(rank: 256)) {
      try HuggingFaceTokenizer.files(for: odd, contextLength: 8)
    }
  }
}
