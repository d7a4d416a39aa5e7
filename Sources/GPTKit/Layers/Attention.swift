// Chapter 04 introduces this file: causal multi-head self-attention, forward and backward.

import Foundation

/// Causal self-attention over a fused `qkv` buffer `(B, T, 3*C)`: for every batch row and
/// head, `out = softmax(mask(Q·Kᵀ / √HS)) · V`, written into `out` `(B, T, C)`.
///
/// Heads are not copied out: head `h` of Q is the `HS` columns starting at `h*HS` of the first
/// third of each `qkv` row, read in place with a row stride of `3*C`; K and V are the same
/// columns in the second and third thirds. The attention probabilities `(B, NH, T, T)` are
/// kept in `att` for the backward pass, or, when `att` is `nil` (the GPT's way), recomputed
/// by the backward from `qkv`, bit for bit: the same lines make them both times.
///
/// Position `i` may only look at positions `j ≤ i`: the upper triangle of every score
/// matrix is masked out before the softmax, so it is exactly 0 after it. Those scores are
/// never computed, and the zeros are never multiplied: every product here tells
/// `Matmul.gemm` which triangle it needs.
public enum Attention {
  // ANCHOR: attention-forward
  /// The forward pass for `B·NH` (batch row, head) pairs, in parallel.
  public static func forward(
    out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>?, qkv: UnsafePointer<Float>,
    B: Int, T: Int, C: Int, NH: Int
  ) {
    let HS = C / NH
    Parallel.forEachChunk(B * NH) { _, pairs in
      let scratch = UnsafeMutablePointer<Float>.allocate(capacity: att == nil ? T * T : 0)  // one pair's
      defer { scratch.deallocate() }
      for pair in pairs {
        let (b, h) = (pair / NH, pair % NH)
        let q = qkv + b * T * 3 * C + h * HS  // (T, HS), row stride 3C
        let (v, a) = (q + 2 * C, att.map { $0 + pair * T * T } ?? scratch)
        probabilities(into: a, q: q, T: T, C: C, HS: HS)
        // out = att · V: (T, T) x (T, HS); row i's sum stops at key i, where its weights end
        Matmul.gemm(
          M: T, N: HS, K: T, a: a, lda: T, b: v, ldb: 3 * C, c: out + b * T * C + h * HS, ldc: C,
          triangle: .lowerA, threads: 1)
      }
    }
  }

  /// One pair's probabilities `(T, T)`, `softmax(mask(Q·Kᵀ) / √HS)`, from its queries `q`
  /// (its keys are `C` further along each row).
  static func probabilities(into a: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, T: Int, C: Int, HS: Int) {
    let scale = 1 / Float(HS).squareRoot()
    // scores = Q·Kᵀ: (T, HS) x (HS, T), only on and below the diagonal
    Matmul.gemm(
      M: T, N: T, K: HS, a: q, lda: 3 * C, b: q + C, ldb: 3 * C, transposeB: true, c: a, ldc: T,
      triangle: .lowerC, threads: 1)
    for i in 0..<T {  // scale, mask and softmax each row; masked entries become exactly 0
      Softmax.row(a + i * T, a + i * T, i + 1, scale: scale, zeroingTo: T)
    }
  }
  // ANCHOR_END: attention-forward

  // ANCHOR: attention-backward
  /// Accumulates into `dqkv` `(B, T, 3*C)` the gradient of `forward`, given `dOut` `(B, T, C)`
  /// and the saved probabilities `att` (recomputed when `nil`). The masked half gets no
  /// gradient, and is skipped again: each product names its triangle. With `accumulate:
  /// false`, `dqkv` is written instead: each of a head's dQ, dK and dV comes from one product.
  public static func backward(
    dqkv: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
    att: UnsafePointer<Float>?, B: Int, T: Int, C: Int, NH: Int, accumulate: Bool = true
  ) {
    let HS = C / NH
    let scale = 1 / Float(HS).squareRoot()
    Parallel.forEachChunk(B * NH) { _, pairs in
      let dAtt = UnsafeMutablePointer<Float>.allocate(capacity: T * T)  // this thread's scratch
      let remade = UnsafeMutablePointer<Float>.allocate(capacity: att == nil ? T * T : 0)
      defer {
        dAtt.deallocate()
        remade.deallocate()
      }
      for pair in pairs {
        let (b, h) = (pair / NH, pair % NH)
        let q = qkv + b * T * 3 * C + h * HS
        let (k, v) = (q + C, q + 2 * C)
        let dq = dqkv + b * T * 3 * C + h * HS
        let (dk, dv) = (dq + C, dq + 2 * C)
        let dy = dOut + b * T * C + h * HS
        let a = att.map { $0 + pair * T * T } ?? UnsafePointer(remade)
        if att == nil { probabilities(into: remade, q: q, T: T, C: C, HS: HS) }
        // out = att · V  =>  dAtt = dOut · Vᵀ (on and below the diagonal) ...
        Matmul.gemm(
          M: T, N: T, K: HS, a: dy, lda: C, b: v, ldb: 3 * C, transposeB: true, c: dAtt, ldc: T,
          triangle: .lowerC, threads: 1)
        // ... and dV += attᵀ · dOut, where key j collects from the rows i ≥ j that see it
        Matmul.gemm(
          M: T, N: HS, K: T, a: a, lda: T, transposeA: true, b: dy, ldb: C, c: dv, ldc: 3 * C,
          accumulate: accumulate, triangle: .upperA, threads: 1)
        // att = softmax(scores · scale)  =>  dScores = att ⊙ (dAtt - Σ att·dAtt) · scale
        softmaxBackward(a, dAtt, T: T, scale: scale)
        // scores = Q·Kᵀ  =>  dQ += dScores · K  and  dK += dScoresᵀ · Q
        Matmul.gemm(
          M: T, N: HS, K: T, a: dAtt, lda: T, b: k, ldb: 3 * C, c: dq, ldc: 3 * C, accumulate: accumulate,
          triangle: .lowerA, threads: 1)
        Matmul.gemm(
          M: T, N: HS, K: T, a: dAtt, lda: T, transposeA: true, b: q, ldb: 3 * C, c: dk, ldc: 3 * C,
          accumulate: accumulate, triangle: .upperA, threads: 1)
      }
    }
  }

  /// Turns `d`, the gradient of the probabilities `a` `(T, T)`, into the gradient of the scaled
  /// scores, in place: `d[i, j] = a[i, j] · (d[i, j] - Σ_k a[i, k] · d[i, k]) · scale` for
  /// `j ≤ i`, and 0 for the masked `j > i`.
  ///
  /// Each row's sum runs left to right, one term after another. A single sum waits for each
  /// addition to finish before it can start the next, so four rows' sums run side by side:
  /// four times as many additions in flight, and still each row's own order, so the same bits.
  static func softmaxBackward(_ a: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, T: Int, scale: Float) {
    func finish(_ i: Int, _ dot: Float) {  // row i, once its sum is known
      let (ai, di) = (a + i * T, d + i * T)
      for j in 0...i { di[j] = ai[j] * (di[j] - dot) * scale }
      for j in (i + 1)..<T { di[j] = 0 }  // masked: no gradient flows
    }
    var i = 0
    while i + 4 <= T {  // rows i ... i+3, whose sums have i+1 ... i+4 terms
      let (a0, a1, a2, a3) = (a + i * T, a + (i + 1) * T, a + (i + 2) * T, a + (i + 3) * T)
      let (d0, d1, d2, d3) = (d + i * T, d + (i + 1) * T, d + (i + 2) * T, d + (i + 3) * T)
      var (s0, s1, s2, s3): (Float, Float, Float, Float) = (0, 0, 0, 0)
      for j in 0...i {
        s0 += a0[j] * d0[j]
        s1 += a1[j] * d1[j]
        s2 += a2[j] * d2[j]
        s3 += a3[j] * d3[j]
      }
      for j in (i + 1)...(i + 1) { s1 += a1[j] * d1[j] }  // the longer rows' last terms, in order
      for j in (i + 1)...(i + 2) { s2 += a2[j] * d2[j] }
      for j in (i + 1)...(i + 3) { s3 += a3[j] * d3[j] }
      finish(i, s0)
      finish(i + 1, s1)
      finish(i + 2, s2)
      finish(i + 3, s3)
      i += 4
    }
    while i < T {  // the last T mod 4 rows, one at a time
      let (ai, di) = (a + i * T, d + i * T)
      var dot: Float = 0
      for j in 0...i { dot += ai[j] * di[j] }
      finish(i, dot)
      i += 1
    }
  }
  // ANCHOR_END: attention-backward

  /// The tensor form: `qkv` `(B, T, 3*C)` -> the output `(B, T, C)` and the probabilities
  /// `(B, NH, T, T)` that `backward` needs.
  public static func forward(_ qkv: Tensor, heads NH: Int) -> (out: Tensor, att: Tensor) {
    let (B, T, C) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    precondition(qkv.rank == 3 && qkv.shape[2] == 3 * C && C % NH == 0, "Attention: qkv must be (B, T, 3*C)")
    var (out, att) = (Tensor(shape: [B, T, C]), Tensor(shape: [B, NH, T, T]))
    forward(out: &out.storage, att: &att.storage, qkv: qkv.storage, B: B, T: T, C: C, NH: NH)
    return (out, att)
  }

  /// The tensor form of `backward`: the gradient `(B, T, 3*C)` of `forward(qkv, heads:)`.
  public static func backward(_ dOut: Tensor, qkv: Tensor, att: Tensor, heads NH: Int) -> Tensor {
    let (B, T, C) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    var dqkv = Tensor(shape: qkv.shape)
    backward(dqkv: &dqkv.storage, dOut: dOut.storage, qkv: qkv.storage, att: att.storage, B: B, T: T, C: C, NH: NH)
    return dqkv
  }
}
