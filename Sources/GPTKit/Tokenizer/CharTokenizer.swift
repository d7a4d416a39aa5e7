// Chapter 01 introduces this file: the simplest tokenizer, one token per character.

/// One token per Unicode scalar, with the vocabulary taken from a corpus.
///
/// Why scalars and not Swift's `Character`s? A `Character` is a grapheme cluster: "é"
/// written as `e` + U+0301 (combining acute) is one `Character` but two scalars, and a flag
/// emoji is one `Character` made of two regional-indicator scalars. Grapheme clusters are
/// unbounded in number, so a vocabulary of them never closes; scalars are what every other
/// tokenizer (and Python's `str`) counts, and they round-trip any text exactly.
///
/// ```
/// let chars = CharTokenizer(corpus: "hello")   // vocabulary ["e", "h", "l", "o"]
/// try chars.encode("hole")                     // [1, 3, 2, 0]
/// ```
public struct CharTokenizer: Sendable {
  /// The vocabulary in id order: the distinct scalars of the corpus, sorted by code point.
  public let scalars: [Unicode.Scalar]
  let ids: [Unicode.Scalar: Int]

  public init(corpus: String) {
    scalars = Set(corpus.unicodeScalars).sorted { $0.value < $1.value }
    ids = Dictionary(uniqueKeysWithValues: scalars.enumerated().map { ($1, $0) })
  }

  public var vocabularySize: Int { scalars.count }

  // ANCHOR: char-encode
  /// The id of every scalar of `text`; throws `unknownCharacter` (with its offset) for a
  /// scalar the corpus never contained.
  public func encode(_ text: String) throws(TokenizerError) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(text.unicodeScalars.count)
    for (offset, scalar) in text.unicodeScalars.enumerated() {
      guard let id = ids[scalar] else { throw .unknownCharacter(scalar, offset: offset) }
      out.append(id)
    }
    return out
  }
  // ANCHOR_END: char-encode

  /// The text of a sequence of ids (ids outside the vocabulary are a programming error).
  public func decode(_ tokens: [Int]) -> String {
    var view = String.UnicodeScalarView()
    for id in tokens { view.append(scalars[id]) }
    return String(view)
  }
}
