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
  /// Accumulates the gradients of `forward` into `dInp`, `dWeight` and `dBias`. A `nil`
  /// `dWeight` is a frozen layer: its two products are skipped, not computed and dropped.
  /// With `accumulateInput: false`, `dInp` is written, not added to, so it need not be zeroed.
  public static func backward(
    dInp: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
    dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, N: Int, C: Int, OC: Int, accumulateInput: Bool = true
  ) {
    // out = inp · weight: the gradient reaches inp through weightᵀ ...
    Matmul.gemm(
      M: N, N: C, K: OC, a: dOut, b: weight, transposeB: true, c: dInp, accumulate: accumulateInput)
    // ... and reaches weight through inpᵀ, summed over all N rows.
    guard let dWeight else { return }
    Matmul.gemm(
      M: C, N: OC, K: N, a: inp, transposeA: true, b: dOut, c: dWeight, accumulate: true)
    // out = ... + bias: every row adds the same bias, so its gradient sums the rows.
    guard let dBias else { return }
    Parallel.accumulateRows(N, width: OC, into: dBias) { rows, partial in
      for n in rows { Elementwise.addRows(out: partial, partial, dOut + n * OC, count: OC) }  // partial += dOut[n]
    }
  }
  // ANCHOR_END: linear-backward

  /// `out = inp · w.weight + w.bias` for `rows` rows: `(rows, in) -> (rows, out)`.
  public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, _ w: LinearWeights, rows: Int)
  {
    forward(out: out, inp: inp, weight: w.weight, bias: w.bias, N: rows, C: w.inFeatures, OC: w.outFeatures)
  }

  /// Accumulates into `dInp` (or writes it, with `accumulateInput: false`), and into `dW`
  /// unless it is `nil` (a frozen layer), the gradients of `forward(out:inp:w:rows:)`.
  public static func backward(
    dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, _ w: LinearWeights,
    _ dW: LinearWeights?, rows: Int, accumulateInput: Bool = true
  ) {
    backward(
      dInp: dInp, dWeight: dW?.weight, dBias: dW?.bias, dOut: dOut, inp: inp, weight: w.weight, N: rows,
      C: w.inFeatures, OC: w.outFeatures, accumulateInput: accumulateInput)
  }

  /// The tensor form: `x` `(..., C)` times `weight` `(C, OC)` plus `bias` `(OC)`, if any.
  public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    let (N, C, OC) = (x.rowCount, x.rowWidth, weight.shape[1])
    precondition(weight.shape == [C, OC] && (bias?.shape ?? [OC]) == [OC], "Linear: weight (\(C), OC), bias (OC)")
    var out = Tensor(shape: x.shape.dropLast() + [OC])
    forward(out: &out.storage, inp: x.storage, weight: weight.storage, bias: bias?.storage, N: N, C: C, OC: OC)
    return out
  }

  /// The tensor form of `backward`: the gradients of `forward(x, weight:, bias:)` for `dOut`.
  public static func backward(_ dOut: Tensor, input x: Tensor, weight: Tensor) -> (
    dX: Tensor, dWeight: Tensor, dBias: Tensor
  ) {
    let (N, C, OC) = (x.rowCount, x.rowWidth, weight.shape[1])
    var (dX, dWeight, dBias) = (Tensor(shape: x.shape), Tensor(shape: weight.shape), Tensor(shape: [OC]))
    backward(
      dInp: &dX.storage, dWeight: &dWeight.storage, dBias: &dBias.storage, dOut: dOut.storage, inp: x.storage,
      weight: weight.storage, N: N, C: C, OC: OC)
    return (dX, dWeight, dBias)
  }
}
