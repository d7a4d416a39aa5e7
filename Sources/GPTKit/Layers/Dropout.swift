// Chapter 05 introduces this file: dropout, a regulariser that is off by default.

/// Inverted dropout: while training, zero each element with probability `p` and scale the
/// survivors by `1 / (1 - p)`, so the expected value is unchanged and evaluation needs no
/// rescaling. The mask (0 or `1/(1-p)` per element) is kept for the backward.
public enum Dropout {
  /// `x[i] *= mask[i]` with a fresh mask from `rng`; nothing at all (not even a draw) when
  /// `p` is 0, as at evaluation.
  ///
  /// Element `i` takes the `i`-th draw after `rng`, whichever thread computes it: each piece
  /// of the loop starts its own copy of the generator at its first element (`skip`), so the
  /// mask, and `rng` afterwards, are those of one loop over all `count` elements.
  public static func forward(
    _ x: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int, p: Float,
    rng: inout SplitMix64
  ) {
    guard p > 0 else { return }
    let (keep, start) = (1 / (1 - p), rng)
    Parallel.forEachChunk(count, minimumPerChunk: 1 << 14) { _, range in
      var rng = start
      rng.skip(range.lowerBound)
      for i in range {
        mask[i] = rng.nextFloat() < p ? 0 : keep
        x[i] *= mask[i]
      }
    }
    rng.skip(count)
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
    Parallel.forEachChunk(count, minimumPerChunk: 1 << 16) { _, range in
      for i in range { out[i] = dX[i] * mask[i] }
    }
    return out
  }
}
