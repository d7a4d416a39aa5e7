// Chapter 02 introduces this file: what the data pipeline needs from any tokenizer.

/// Text to ids and back: the character tokenizer and BPE both qualify.
public protocol TextTokenizer: Sendable {
  var vocabularySize: Int { get }
  /// A short name that changes whenever the vocabulary does (cached token files carry it).
  var identity: String { get }
  func encodeText(_ text: String) throws(TokenizerError) -> [Int]
  func decode(_ tokens: [Int]) -> String
}

extension CharTokenizer: TextTokenizer {
  public var identity: String {
    "char\(vocabularySize)-" + TokenizerStore.fingerprint(String(String.UnicodeScalarView(scalars)))
  }
  public func encodeText(_ text: String) throws(TokenizerError) -> [Int] { try encode(text) }
}

extension BPETokenizer: TextTokenizer {
  public var identity: String {
    var all = pattern.rawValue
    for rank in 0..<rankCount { all += String(decoding: table.token(rank), as: UTF8.self) + "\u{0}" }
    return "bpe\(vocabularySize)-" + TokenizerStore.fingerprint(all)
  }
  /// Training text is ordinary text: `<|endoftext|>` in a corpus is just characters.
  public func encodeText(_ text: String) throws(TokenizerError) -> [Int] { encodeOrdinary(text) }
}
