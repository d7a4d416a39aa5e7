// Chapter 04 introduces this file: causal multi-head self-attention, forward and backward.

import Foundation

/// Causal self-attention over a fused `qkv` buffer `(B, T, 3*C)`: for every batch row and
/// head, `out = softmax(mask(Q·Kᵀ / √HS)) · V`, written into `out` `(B, T, C)`.
///
/// Heads are not copied out: head `h` of Q is the `HS` columns starting at `h*HS` of the first
/// third of each `qkv` row, read in place with a row stride of `3*C`; K and V are the same
/// columns in the second and third thirds. The attention probabilities `att` `(B, NH, T, T)`
/// are kept for the backward pass.
///
/// Position `i` may only look at positions `j ≤ i`: the upper triangle of every score
/// matrix is masked out before the softmax, so it is exactly 0 after it. Since those scores
/// are never used, they are never computed: rows are processed in blocks of 32, and a
/// block ending at row `r1` multiplies only the first `r1` keys.
public enum Attention {
  static let rowBlock = 32

  // ANCHOR: attention-forward
  /// The forward pass for `B·NH` (batch row, head) pairs, in parallel.
  public static func forward(
    out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
    B: Int, T: Int, C: Int, NH: Int
  ) {
    let HS = C / NH
    Parallel.forEachChunk(B * NH) { _, pairs in
      for pair in pairs {
        let (b, h) = (pair / NH, pair % NH)
        let q = qkv + b * T * 3 * C + h * HS  // (T, HS), row stride 3C
        head(
          out: out + b * T * C + h * HS, ldOut: C, att: att + pair * T * T, ldAtt: T,
          q: q, k: q + C, v: q + 2 * C, ld: 3 * C, queries: T, keys: T, queryOffset: 0, HS: HS)
      }
    }
  }

  /// One head: `queries` query rows at positions `queryOffset...`, against `keys` keys at
  /// positions `0..<keys`. Query `i` sees keys `j ≤ queryOffset + i`. With `queryOffset = 0`
  /// and `queries = keys = T` this is the training forward; with one query at position
  /// `t` and `t + 1` cached keys, it is one step of generation.
  public static func head(
    out: UnsafeMutablePointer<Float>, ldOut: Int, att: UnsafeMutablePointer<Float>, ldAtt: Int,
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ld: Int,
    queries: Int, keys: Int, queryOffset: Int, HS: Int
  ) {
    let scale = 1 / Float(HS).squareRoot()
    for r0 in stride(from: 0, to: queries, by: rowBlock) {
      let r1 = min(queries, r0 + rowBlock)
      let visible = min(keys, queryOffset + r1)  // keys any row of this block may see
      // scores = Q·Kᵀ for this block, only the visible keys: (rows, HS) x (HS, visible)
      Matmul.gemm(
        M: r1 - r0, N: visible, K: HS, a: q + r0 * ld, lda: ld, b: k, ldb: ld, transposeB: true,
        c: att + r0 * ldAtt, ldc: ldAtt, threads: 1)
      for i in r0..<r1 {  // scale, mask and softmax each row; masked entries become exactly 0
        let row = att + i * ldAtt
        let seen = queryOffset + i + 1
        for j in 0..<seen { row[j] *= scale }
        Softmax.row(row, row, seen)
        for j in seen..<keys { row[j] = 0 }
      }
      // out = att · V: (rows, visible) x (visible, HS) -> (rows, HS)
      Matmul.gemm(
        M: r1 - r0, N: HS, K: visible, a: att + r0 * ldAtt, lda: ldAtt, b: v, ldb: ld,
        c: out + r0 * ldOut, ldc: ldOut, threads: 1)
    }
  }
  // ANCHOR_END: attention-forward

  // ANCHOR: attention-backward
  /// Accumulates into `dqkv` `(B, T, 3*C)` the gradient of `forward`, given `dOut` `(B, T, C)`
  /// and the saved probabilities `att`. Like the forward, it skips the masked half: query rows
  /// go in blocks, and a block ending at row `r1` only involves keys `0..<r1`.
  public static func backward(
    dqkv: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
    att: UnsafePointer<Float>, B: Int, T: Int, C: Int, NH: Int
  ) {
    let HS = C / NH
    let scale = 1 / Float(HS).squareRoot()
    Parallel.forEachChunk(B * NH) { _, pairs in
      let dAtt = UnsafeMutablePointer<Float>.allocate(capacity: T * T)  // this thread's scratch
      defer { dAtt.deallocate() }
      for pair in pairs {
        let (b, h) = (pair / NH, pair % NH)
        let q = qkv + b * T * 3 * C + h * HS
        let (k, v) = (q + C, q + 2 * C)
        let dq = dqkv + b * T * 3 * C + h * HS
        let (dk, dv) = (dq + C, dq + 2 * C)
        let dy = dOut + b * T * C + h * HS
        let a = att + pair * T * T
        for r0 in stride(from: 0, to: T, by: rowBlock) {  // rows r0..<r1 see keys 0..<r1
          let (r1, rows) = (min(T, r0 + rowBlock), min(T, r0 + rowBlock) - r0)
          // out = att · V  =>  dAtt = dOut · Vᵀ
          Matmul.gemm(
            M: rows, N: r1, K: HS, a: dy + r0 * C, lda: C, b: v, ldb: 3 * C, transposeB: true,
            c: dAtt + r0 * T, ldc: T, threads: 1)
          // att = softmax(scores · scale)  =>  dScores = att ⊙ (dAtt - Σ att·dAtt) · scale
          for i in r0..<r1 {
            let (ai, di) = (a + i * T, dAtt + i * T)
            var dot: Float = 0
            for j in 0...i { dot += ai[j] * di[j] }
            for j in 0...i { di[j] = ai[j] * (di[j] - dot) * scale }
            for j in (i + 1)..<r1 { di[j] = 0 }  // masked: no gradient flows
          }
          // scores = Q·Kᵀ  =>  dQ += dScores · K
          Matmul.gemm(
            M: rows, N: HS, K: r1, a: dAtt + r0 * T, lda: T, b: k, ldb: 3 * C, c: dq + r0 * 3 * C, ldc: 3 * C,
            accumulate: true, threads: 1)
        }
        for c0 in stride(from: 0, to: T, by: rowBlock) {  // keys c0..<c1 are seen by rows c0..<T
          let columns = min(T, c0 + rowBlock) - c0
          // dV += attᵀ · dOut  and  dK += dScoresᵀ · Q, over the rows that see these keys
          Matmul.gemm(
            M: columns, N: HS, K: T - c0, a: a + c0 * T + c0, lda: T, transposeA: true, b: dy + c0 * C, ldb: C,
            c: dv + c0 * 3 * C, ldc: 3 * C, accumulate: true, threads: 1)
          Matmul.gemm(
            M: columns, N: HS, K: T - c0, a: dAtt + c0 * T + c0, lda: T, transposeA: true, b: q + c0 * 3 * C,
            ldb: 3 * C, c: dk + c0 * 3 * C, ldc: 3 * C, accumulate: true, threads: 1)
        }
      }
    }
  }
  // ANCHOR_END: attention-backward
}
