// Chapter 00 introduces this file: matrix multiplication, the heart of a GPT.

/// Matrix multiplication in the three forms training needs, with a naive reference.
///
/// Every linear layer of a GPT is one product, and its backward is two more:
///
/// ```
/// forward   Y  = X · W        (B*T, C) x (C, OC)  -> (B*T, OC)     A·B
/// backward  dX = dY · Wᵀ      (B*T, OC) x (OC, C) -> (B*T, C)      A·Bᵀ
///           dW = Xᵀ · dY      (C, B*T) x (B*T, OC) -> (C, OC)      Aᵀ·B
/// ```
///
/// `Matmul.naive` is the three-loop definition; `Matmul.gemm` computes the same numbers
/// (up to float rounding order) about a thousand times faster; tests hold them together.
public enum Matmul {
  /// `C = op(A) · op(B)`, or `C += op(A) · op(B)` when `accumulate` is true.
  ///
  /// - `op(A)` is `(M, K)`: stored as `(M, K)` with row stride `lda`, or as `(K, M)`
  ///   when `transposeA` (then `op(A)[i, k] = a[k*lda + i]`).
  /// - `op(B)` is `(K, N)`: stored as `(K, N)` with row stride `ldb`, or as `(N, K)`
  ///   when `transposeB` (then `op(B)[k, j] = b[j*ldb + k]`).
  /// - `C` is `(M, N)` with row stride `ldc`.
  ///
  /// The leading dimensions default to packed rows; a larger stride lets a product read a
  /// slice of a wider matrix (for example one head's columns out of a fused QKV buffer).
  /// `bias` `(N)`, if given, is added to every row of the finished product (`C = op(A)·op(B) +
  /// bias`), as each tile is stored rather than in a second pass over `C`. `triangle` lets
  /// causal attention skip the half of its products the mask makes zero.
  public static func gemm(
    M: Int, N: Int, K: Int,
    a: UnsafePointer<Float>, lda: Int? = nil, transposeA: Bool = false,
    b: UnsafePointer<Float>, ldb: Int? = nil, transposeB: Bool = false,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
    accumulate: Bool = false, bias: UnsafePointer<Float>? = nil, triangle: Triangle = .none,
    threads: Int = Parallel.threadCount
  ) {
    let operands = GemmOperands(
      a: a, lda: lda ?? (transposeA ? M : K), transposeA: transposeA,
      b: b, ldb: ldb ?? (transposeB ? K : N), transposeB: transposeB,
      c: c, ldc: ldc ?? N, triangle: triangle, bias: bias)
    GemmEngine.run(M: M, N: N, K: K, operands, accumulate: accumulate, threads: threads)
  }

  /// The micro-kernel's tile, the `rows x columns` of `C` it keeps in vector registers:
  /// 12 x 32 with AVX-512, 6 x 16 elsewhere (chosen for the machine that builds the package).
  public static var tile: (rows: Int, columns: Int) { (GemmEngine.MR, GemmEngine.NR) }

  /// The half of a square product that causal attention needs. Indices are those of the
  /// whole product: row `i` of `C` and `op(A)`, column `j` of `C`, step `k`.
  public enum Triangle: Sendable {
    /// Every element.
    case none
    /// Only `C[i, j]` with `j ≤ i` is computed (scores: a query never sees a later key).
    /// Tiles wholly above the diagonal are skipped and left as they were; the few elements
    /// above it inside diagonal tiles are computed but meaningless.
    case lowerC
    /// `op(A)[i, k]` is zero for `k > i` (attention weights): row `i` sums `k ≤ i` only.
    case lowerA
    /// `op(A)[i, k]` is zero for `k < i` (transposed attention weights): row `i` sums
    /// `k ≥ i` only.
    case upperA
  }

  // ANCHOR: naive-matmul
  /// The definition, one dot product per output element: `C[i, j] = Σ_k A[i, k] · B[k, j]`.
  /// Same contract as `gemm`. Slow on purpose: it is the reference the fast kernel is
  /// tested against.
  public static func naive(
    M: Int, N: Int, K: Int,
    a: UnsafePointer<Float>, lda: Int? = nil, transposeA: Bool = false,
    b: UnsafePointer<Float>, ldb: Int? = nil, transposeB: Bool = false,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil, accumulate: Bool = false
  ) {
    let lda = lda ?? (transposeA ? M : K)
    let ldb = ldb ?? (transposeB ? K : N)
    let ldc = ldc ?? N
    for i in 0..<M {
      for j in 0..<N {
        var sum: Float = 0
        for k in 0..<K {
          let aik = transposeA ? a[k * lda + i] : a[i * lda + k]
          let bkj = transposeB ? b[j * ldb + k] : b[k * ldb + j]
          sum += aik * bkj
        }
        c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum
      }
    }
  }
  // ANCHOR_END: naive-matmul
}

/// `op(A) · op(B)` for tensors: `(M, K) x (K, N) -> (M, N)`, or batched
/// `(batch, M, K) x (batch, K, N) -> (batch, M, N)`. Transposes swap the last two extents
/// of the stored operand, as in `Matmul.gemm`.
public func matmul(
  _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
) -> Tensor {
  precondition(a.rank == b.rank && (a.rank == 2 || a.rank == 3), "matmul needs two 2-D or two 3-D tensors")
  let batch = a.rank == 3 ? a.shape[0] : 1
  precondition(a.rank == 2 || b.shape[0] == batch, "batch sizes differ: \(a.shape) vs \(b.shape)")
  let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
  let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
  let (M, K) = transposeA ? (ac, ar) : (ar, ac)
  let (K2, N) = transposeB ? (bc, br) : (br, bc)
  precondition(
    K == K2, "inner extents differ: \(a.shape) x \(b.shape) (transposeA \(transposeA), transposeB \(transposeB))")
  var out = Tensor(shape: a.rank == 3 ? [batch, M, N] : [M, N])
  a.withPointer { pa in
    b.withPointer { pb in
      out.withMutablePointer { pc in
        for n in 0..<batch {
          Matmul.gemm(
            M: M, N: N, K: K, a: pa + n * M * K, transposeA: transposeA, b: pb + n * K * N,
            transposeB: transposeB, c: pc + n * M * N)
        }
      }
    }
  }
  return out
}
