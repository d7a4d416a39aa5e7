// Chapter 07 introduces this file: how well a model predicts a text, as one number.

/// The model's perplexity on a text: `exp(mean loss)`, the mean taken over every token but the
/// first, each predicted from the ones before it in its window.
///
/// ```
/// tokens   t0 t1 t2 ... | t_T t_T+1 ... | ...      windows of T + 1 tokens, one shared
/// inputs   t0 .. t_T-1                             with the next window
/// targets  t1 .. t_T
/// perplexity = exp( Σ -log p(t_i | window before i) / count )
/// ```
/// Windows do not overlap (the cheap, usual way; a sliding window gives every token more
/// context and a slightly lower figure), so the first tokens of each window see little
/// context. A perplexity of `k` means "as unsure as a fair choice among `k` tokens".
public enum Perplexity {
  /// The summed loss and the number of predicted tokens of `tokens`, in windows of at most
  /// `window` inputs (the context length by default), `B` windows per forward.
  public static func evaluate(_ model: GPT, tokens: [Int32], window: Int? = nil) -> (loss: Double, count: Int) {
    let T = min(window ?? model.config.contextLength, model.config.contextLength)
    let B = max(1, 1024 / T)  // about 1024 positions per forward: full matrices, bounded memory
    var (total, count, start) = (0.0, 0, 0)
    while start + 1 < tokens.count {
      let length = min(T, tokens.count - 1 - start)  // the last window may be shorter
      let rows = length == T ? min(B, (tokens.count - 1 - start) / T) : 1
      var (x, y) = ([Int32](), [Int32]())
      for r in 0..<rows {
        let s = start + r * length
        x += tokens[s..<(s + length)]  // (rows, length)
        y += tokens[(s + 1)..<(s + length + 1)]
      }
      let mean = model.forward(inputs: x, targets: y, B: rows, T: length)!
      total += Double(mean) * Double(rows * length)
      count += rows * length
      start += rows * length
    }
    return (total, count)
  }
}
