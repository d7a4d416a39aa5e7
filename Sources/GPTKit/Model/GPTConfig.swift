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
