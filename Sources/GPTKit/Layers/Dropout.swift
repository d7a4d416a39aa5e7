// Chapter 05 introduces this file: dropout, a regulariser that is off by default.

/// Inverted dropout: while training, zero each element with probability `p` and scale the
/// survivors by `1 / (1 - p)`, so the expected value is unchanged and evaluation needs no
/// rescaling. The mask (0 or `1/(1-p)` per element) is kept for the backward.
public enum Dropout {
  /// `x[i] *= mask[i]` with a fresh mask from `rng`; nothing at all (not even a draw) when
  /// `p` is 0, as at evaluation.
  public static func forward(
    _ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int, p: Float,
    rng: inout SplitMix64
  ) {
    guard p > 0 else { return }
    let keep = 1 / (1 - p)
    for i in 0..<count {
      mask[i] = rng.nextFloat() < p ? 0 : keep
      x[i] *= mask[i]
    }
  }

  /// `dX[i] *= mask[i]`: dropped elements pass no gradient.
  public static func backward(_ dX: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { dX[i] *= mask[i] }
  }

  /// The gradient through `forward`: `dX ⊙ mask` written into `out`, which is returned; or,
  /// when `p` is 0 and nothing was dropped, `dX` itself, uncopied.
  public static func backward(
    _ dX: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>, count: Int, p: Float,
    into out: UnsafeMutablePointer<Float>
  ) -> UnsafeMutablePointer<Float> {
    guard p > 0 else { return dX }
    for i in 0..<count { out[i] = dX[i] * mask[i] }
    return out
  }
}
