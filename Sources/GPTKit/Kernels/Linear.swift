// Chapter 00 introduces this file: the linear layer, three matrix multiplies in all.

/// `out = inp · weight + bias` over rows: `(N, C) x (C, OC) -> (N, OC)`.
///
/// The weight is stored `(C, OC)`, input features by output features, which is how GPT-2's
/// original checkpoints (and Hugging Face's `Conv1D`) store it, so checkpoints load as they
/// are. The backward is the forward read in reverse, one product per input:
/// ```
/// dInp    += dOut · weightᵀ     (N, OC) x (OC, C) -> (N, C)
/// dWeight += inpᵀ · dOut        (C, N) x (N, OC)  -> (C, OC)
/// dBias   += Σ_n dOut[n, :]     (OC)
/// ```
public enum Linear {
  // ANCHOR: linear-forward
  /// `out[n, o] = bias[o] + Σ_c inp[n, c] · weight[c, o]`; `bias` may be `nil`.
  public static func forward(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, N: Int, C: Int, OC: Int
  ) {
    // (N, C) x (C, OC) -> (N, OC), then + bias on every row, added as each tile is stored
    Matmul.gemm(M: N, N: OC, K: C, a: inp, b: weight, c: out, bias: bias)
  }
  // ANCHOR_END: linear-forward

  // ANCHOR: linear-backward
  /// Accumulates the gradients of `forward` into `dInp`, `dWeight` and `dBias`.
  public static func backward(
    dInp: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
    dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, N: Int, C: Int, OC: Int
  ) {
    // out = inp · weight: the gradient reaches inp through weightᵀ ...
    Matmul.gemm(
      M: N, N: C, K: OC, a: dOut, b: weight, transposeB: true, c: dInp, accumulate: true)
    // ... and reaches weight through inpᵀ, summed over all N rows.
    Matmul.gemm(
      M: C, N: OC, K: N, a: inp, transposeA: true, b: dOut, c: dWeight, accumulate: true)
    // out = ... + bias: every row adds the same bias, so its gradient sums the rows.
    guard let dBias else { return }
    Parallel.accumulateRows(N, width: OC, into: dBias) { rows, partial in
      for n in rows { Elementwise.addRows(out: partial, partial, dOut + n * OC, count: OC) }  // partial += dOut[n]
    }
  }
  // ANCHOR_END: linear-backward
}
