// Chapter 02 introduces this file: a text, its tokenizer and its token stream, in one call.

/// What every chapter from 02 on starts from: the corpus, a tokenizer for it, and the corpus
/// encoded (read from the cache of chapter 02 when it is there).
public struct TrainingText {
  /// Which tokenizer to use: chapter 01's byte-level BPE, or one token per character.
  public enum Tokenizer: String, Sendable { case bpe, char }

  public let path: String
  public let text: String
  public let tokenizer: TextTokenizer
  public let tokens: [Int32]
  /// True when no saved BPE existed for this text and it was trained just now.
  public let trainedTokenizer: Bool

  /// Characters (Unicode scalars) per token, to turn a loss per token into one per character.
  public var charactersPerToken: Double { Double(text.unicodeScalars.count) / Double(tokens.count) }

  /// The largest character vocabulary: as large as BPE's largest, so that the logits of a
  /// batch, `(B, T, V)`, fit in memory (1.1M distinct scalars would need 9 GB).
  public static let maximumCharacters = 65_536

  /// Loads `path` (at least 1,000 bytes of UTF-8), finds or trains the tokenizer, and encodes
  /// the text. Errors describe the problem and its fix in one line.
  public static func load(_ path: String, tokenizer kind: Tokenizer = .bpe, vocabularySize: Int = 512) throws
    -> TrainingText
  {
    let text = try Corpus.load(path, minimumBytes: 1000)
    let tokenizer: TextTokenizer
    var trained = false
    switch kind {
    case .char:
      let chars = CharTokenizer(corpus: text)
      guard chars.vocabularySize <= maximumCharacters else {
        throw CorpusError.tooManyCharacters(path, count: chars.vocabularySize, limit: maximumCharacters)
      }
      tokenizer = chars
    case .bpe:
      (tokenizer, trained) = try TokenizerStore.bpe(corpus: text, corpusPath: path, vocabularySize: vocabularySize)
    }
    let tokens = try TokenFile.tokens(corpusPath: path, corpusText: text, tokenizer: tokenizer).tokens
    return TrainingText(path: path, text: text, tokenizer: tokenizer, tokens: tokens, trainedTokenizer: trained)
  }

  /// Where `tokens` is cached on disk.
  public var cachePath: String { TokenFile.path(corpusPath: path, corpusText: text, tokenizer: tokenizer) }
}
