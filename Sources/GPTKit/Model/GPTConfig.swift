// Chapter 05 introduces this file (chapters 03-04 use parts of it): the model's shape.

/// The hyperparameters of a GPT-2-style model.
///
/// | field | nanoGPT | llm.c | meaning |
/// |---|---|---|---|
/// | `vocabularySize` | `vocab_size` | `vocab_size` (`V`) | number of token ids |
/// | `contextLength` | `block_size` | `max_seq_len` (`maxT`) | longest sequence, rows of `wpe` |
/// | `layerCount` | `n_layer` | `num_layers` (`L`) | transformer blocks |
/// | `headCount` | `n_head` | `num_heads` (`NH`) | attention heads per block |
/// | `channels` | `n_embd` | `channels` (`C`) | width of the residual stream |
/// | `dropout` | `dropout` | – | probability of zeroing an activation while training |
public struct GPTConfig: Codable, Equatable, Sendable {
  public var vocabularySize: Int
  public var contextLength: Int
  public var layerCount: Int
  public var headCount: Int
  public var channels: Int
  public var dropout: Float
  public var positions: PositionEncoding

  /// Learned position embeddings (GPT-2) or the fixed sinusoids of "Attention Is All You Need".
  public enum PositionEncoding: String, Codable, Sendable { case learned, sinusoidal }

  public init(
    vocabularySize: Int, contextLength: Int, layerCount: Int, headCount: Int, channels: Int,
    dropout: Float = 0, positions: PositionEncoding = .learned
  ) {
    precondition(channels % headCount == 0, "channels (\(channels)) must divide into \(headCount) heads")
    (self.vocabularySize, self.contextLength, self.layerCount) = (vocabularySize, contextLength, layerCount)
    (self.headCount, self.channels, self.dropout, self.positions) = (headCount, channels, dropout, positions)
  }

  /// What is wrong with these sizes, in one line naming the field, or nil when a model can be
  /// built from them: every size positive and not absurd, `channels` a multiple of `headCount`,
  /// a dropout probability in `[0, 1)`, and at most 2³⁴ parameters.
  public var problem: String? {
    let limits: [(String, Int, ClosedRange<Int>)] = [
      ("vocabularySize", vocabularySize, 1...(1 << 22)), ("contextLength", contextLength, 1...(1 << 20)),
      ("layerCount", layerCount, 1...4096), ("headCount", headCount, 1...(1 << 16)),
      ("channels", channels, 1...(1 << 16)),
    ]
    for (name, value, range) in limits where !range.contains(value) {
      return "\(name) is \(value), outside \(range.lowerBound)...\(range.upperBound)"
    }
    guard channels % headCount == 0 else {
      return "channels (\(channels)) do not divide into headCount (\(headCount)) heads"
    }
    guard dropout >= 0 && dropout < 1 else { return "dropout is \(dropout), outside [0, 1)" }
    guard parameterCount <= 1 << 34 else { return "the model would have \(parameterCount) parameters, over 2^34" }
    return nil
  }

  /// Decodes a configuration and checks it (`problem`): a damaged file is refused here, not
  /// by a division by zero later.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      unchecked: try c.decode(Int.self, forKey: .vocabularySize), try c.decode(Int.self, forKey: .contextLength),
      try c.decode(Int.self, forKey: .layerCount), try c.decode(Int.self, forKey: .headCount),
      try c.decode(Int.self, forKey: .channels), try c.decode(Float.self, forKey: .dropout),
      try c.decode(PositionEncoding.self, forKey: .positions))
    if let problem {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
    }
  }

  private init(unchecked V: Int, _ T: Int, _ L: Int, _ NH: Int, _ C: Int, _ dropout: Float, _ p: PositionEncoding) {
    (vocabularySize, contextLength, layerCount, headCount, channels) = (V, T, L, NH, C)
    (self.dropout, positions) = (dropout, p)
  }

  /// Channels per head: `C / NH`.
  public var headSize: Int { channels / headCount }

  /// GPT-2 small: 124M parameters.
  public static let gpt2Small = GPTConfig(
    vocabularySize: 50257, contextLength: 1024, layerCount: 12, headCount: 12, channels: 768)

  /// The parameter count in closed form (tied head: the output layer reuses `wte`):
  /// ```
  /// V·C + T·C (learned positions only) + L·(12·C² + 13·C) + 2·C
  /// ```
  /// Per block: two LayerNorms (4C), QKV (3C² + 3C), projection (C² + C), MLP up (4C² + 4C)
  /// and down (4C² + C).
  public var parameterCount: Int {
    let (V, T, C, L) = (vocabularySize, contextLength, channels, layerCount)
    return V * C + (positions == .learned ? T * C : 0) + L * (12 * C * C + 13 * C) + 2 * C
  }
}
