// Chapter 01 introduces this file: cutting text into pieces before byte-pair merging.

import Foundation

/// The pre-tokenization patterns of GPT-2, GPT-4 (cl100k) and GPT-4o (o200k).
///
/// BPE never merges across the boundaries these patterns draw, which is why a GPT tokenizer
/// has tokens like `" the"` and `"'s"` but none that glue a word to the punctuation after it.
/// Each pattern is a regular expression in tiktoken; here each is a small hand-written
/// matcher over Unicode scalars, which follows the regex's semantics exactly (alternatives
/// tried in order, greedy quantifiers, the backtracking o200k needs) and is much faster than
/// a general regex engine. The regexes, for reference:
///
/// ```
/// gpt2    '(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s
/// cl100k  '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+
///         |\s++$|\s*[\r\n]|\s+(?!\S)|\s
/// o200k   see `SplitPattern.o200kRegex`
/// ```
public enum SplitPattern: String, CaseIterable, Codable, Sendable {
  case gpt2, cl100k, o200k

  /// The regex tiktoken uses, written into saved tokenizers so Python can load them.
  public var regex: String {
    switch self {
    case .gpt2: #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
    case .cl100k:
      #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"#
        + #"|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
    case .o200k: Self.o200kRegex
    }
  }

  /// The special tokens tiktoken's encoding with this pattern has: r50k_base (GPT-2),
  /// cl100k_base (GPT-4) and o200k_base (GPT-4o). Their ids sit above every rank.
  public var tiktokenSpecialTokens: [String: Int] {
    switch self {
    case .gpt2: ["<|endoftext|>": 50_256]
    case .cl100k:
      [
        "<|endoftext|>": 100_257, "<|fim_prefix|>": 100_258, "<|fim_middle|>": 100_259,
        "<|fim_suffix|>": 100_260, "<|endofprompt|>": 100_276,
      ]
    case .o200k: ["<|endoftext|>": 199_999, "<|endofprompt|>": 200_018]
    }
  }

  /// The pattern a tiktoken rank file's name says it needs (`o200k_base.tiktoken` → o200k),
  /// or nil for a name that says nothing. r50k and p50k are GPT-2's encodings.
  public static func named(byFile path: String) -> SplitPattern? {
    let name = (path as NSString).lastPathComponent.lowercased()
    if name.contains("o200k") { return .o200k }
    if name.contains("cl100k") { return .cl100k }
    if name.contains("r50k") || name.contains("p50k") || name.contains("gpt2") { return .gpt2 }
    return nil
  }

  static let o200kRegex = [
    #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
    #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
    #"\p{N}{1,3}"#, #" ?[^\s\p{L}\p{N}]+[\r\n/]*"#, #"\s*[\r\n]+"#, #"\s+(?!\S)"#, #"\s+"#,
  ].joined(separator: "|")

  /// `text` cut into the pieces BPE merges within, in order: joined, they give `text` back
  /// (no scalar is dropped or reordered). `SplitPattern.cl100k.pieces(of: "12345")` is
  /// `["123", "45"]`: cl100k groups digits in threes.
  public func pieces(of text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    return ranges(scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
  }

  /// The piece boundaries of a scalar array, calling `body` with each range in order.
  func split(_ s: [Unicode.Scalar], classes: [ScalarClass], _ body: (Range<Int>) -> Void) {
    var i = 0
    while i < s.count {
      let end: Int
      switch self {
      case .gpt2: end = Self.gpt2Piece(s, classes, at: i)
      case .cl100k: end = Self.cl100kPiece(s, classes, at: i)
      case .o200k: end = Self.o200kPiece(s, classes, at: i)
      }
      body(i..<end)
      i = end
    }
  }

  /// The pieces of the scalars `s`, as ranges of offsets into `s` that tile it.
  func ranges(_ s: [Unicode.Scalar]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    split(s, classes: s.map(ScalarClass.of)) { out.append($0) }
    return out
  }
}
