// Chapter 03 introduces this file: token and position embeddings.

import Foundation

/// `out[b, t, :] = wte[token[b, t], :] + position[t, :]`, and its backward.
///
/// A lookup is a matrix multiply by a one-hot vector that never gets built: row `token` of
/// `wte` is what `onehot(token) · wte` would give. Its backward is therefore a scatter-add:
/// each position's gradient is added into the row of the token that was looked up, and a
/// token used twice in a batch collects both.
public enum Embedding {
  // ANCHOR: embedding-forward
  /// `out` is `(B, T, C)`; `tokens` is `(B, T)`; `wte` is `(V, C)`; `positions` is `(T, C)`.
  public static func forward(
    out: UnsafeMutablePointer<Float>, tokens: UnsafePointer<Int32>, wte: UnsafePointer<Float>,
    positions: UnsafePointer<Float>, B: Int, T: Int, C: Int
  ) {
    for b in 0..<B {
      for t in 0..<T {
        let o = out + (b * T + t) * C  // out[b, t, :]
        let token = wte + Int(tokens[b * T + t]) * C
        let position = positions + t * C
        for c in 0..<C { o[c] = token[c] + position[c] }
      }
    }
  }
  // ANCHOR_END: embedding-forward

  // ANCHOR: embedding-backward
  /// `dWte[token[b, t], :] += dOut[b, t, :]` and, when learned, `dPositions[t, :] += dOut[b, t, :]`.
  public static func backward(
    dWte: UnsafeMutablePointer<Float>, dPositions: UnsafeMutablePointer<Float>?,
    dOut: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, B: Int, T: Int, C: Int
  ) {
    for b in 0..<B {
      for t in 0..<T {
        let d = dOut + (b * T + t) * C
        let row = dWte + Int(tokens[b * T + t]) * C  // scatter: the row that was looked up
        for c in 0..<C { row[c] += d[c] }
        if let dPositions {
          let position = dPositions + t * C
          for c in 0..<C { position[c] += d[c] }
        }
      }
    }
  }
  // ANCHOR_END: embedding-backward

  // ANCHOR: sinusoidal
  /// The fixed position table of "Attention Is All You Need", `(T, C)`:
  /// ```
  /// PE[t, 2i]   = sin(t / 10000^(2i/C))
  /// PE[t, 2i+1] = cos(t / 10000^(2i/C))
  /// ```
  /// Each pair of channels is a clock running at its own speed, from one turn every 2π
  /// positions (i = 0) to one turn every 10000·2π; together they give every position a
  /// unique pattern, and a fixed offset is the same rotation at every position.
  public static func sinusoidal(T: Int, C: Int) -> Tensor {
    var table = Tensor(shape: [T, C])
    for t in 0..<T {
      for i in 0..<(C / 2) {
        let angle = Double(t) / pow(10_000, Double(2 * i) / Double(C))
        table[t, 2 * i] = Float(sin(angle))
        table[t, 2 * i + 1] = Float(cos(angle))
      }
    }
    return table
  }
  // ANCHOR_END: sinusoidal

  /// The tensor form: `tokens` `(B, T)` looked up in `wte` `(V, C)`, plus `positions`
  /// `(T, C)` when given: `(B, T, C)`.
  public static func forward(_ wte: Tensor, tokens: [Int32], B: Int, T: Int, positions: Tensor? = nil) -> Tensor {
    let C = wte.shape[1]
    precondition(
      tokens.count == B * T && (positions?.shape ?? [T, C]) == [T, C], "Embedding: tokens (B, T), positions (T, C)")
    precondition(tokens.allSatisfy { $0 >= 0 && Int($0) < wte.shape[0] }, "Embedding: a token id outside wte's rows")
    var out = Tensor(shape: [B, T, C])
    let table = positions ?? Tensor(shape: [T, C])
    forward(out: &out.storage, tokens: tokens, wte: wte.storage, positions: table.storage, B: B, T: T, C: C)
    return out
  }

  /// The tensor form of `backward`: for `dOut` `(B, T, C)`, the gradients of the table
  /// `(V, C)` and of the positions `(T, C)`.
  public static func backward(_ dOut: Tensor, tokens: [Int32], vocabularySize V: Int) -> (
    dWte: Tensor, dPositions: Tensor
  ) {
    let (B, T, C) = (dOut.shape[0], dOut.shape[1], dOut.shape[2])
    precondition(tokens.allSatisfy { $0 >= 0 && Int($0) < V }, "Embedding: a token id outside 0..<V")
    var (dWte, dPositions) = (Tensor(shape: [V, C]), Tensor(shape: [T, C]))
    backward(
      dWte: &dWte.storage, dPositions: &dPositions.storage, dOut: dOut.storage, tokens: tokens, B: B, T: T, C: C)
    return (dWte, dPositions)
  }
}
