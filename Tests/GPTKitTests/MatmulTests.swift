import Testing

@testable import GPTKit

/// Runs `Matmul.gemm` and `Matmul.naive` on the same random operands and returns both `C`s.
func bothProducts(
  M: Int, N: Int, K: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool = false,
  padA: Int = 0, threads: Int = 2, seed: UInt64 = 1
) -> (fast: [Float], reference: [Float]) {
  var rng = SplitMix64(seed: seed)
  let lda = (transposeA ? M : K) + padA
  let a = Tensor.randn([(transposeA ? K : M) * lda], rng: &rng)
  let b = Tensor.randn([K * N], rng: &rng)
  let start = Tensor.randn([M * N], rng: &rng)
  var fast = start
  var reference = start
  a.withPointer { pa in
    b.withPointer { pb in
      fast.withMutablePointer {
        Matmul.gemm(
          M: M, N: N, K: K, a: pa, lda: lda, transposeA: transposeA, b: pb, transposeB: transposeB,
          c: $0, accumulate: accumulate, threads: threads)
      }
      reference.withMutablePointer {
        Matmul.naive(
          M: M, N: N, K: K, a: pa, lda: lda, transposeA: transposeA, b: pb, transposeB: transposeB,
          c: $0, accumulate: accumulate)
      }
    }
  }
  return (fast.storage, reference.storage)
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
  zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

@Suite("00 tensors: the fast matmul agrees with the naive one")
struct MatmulTests {
  // Odd sizes exercise the zero-padded edge tiles; K = 400 needs two K blocks.
  @Test(arguments: [(13, 37, 19), (1, 1, 1), (24, 64, 400), (50, 33, 7)])
  func allFourLayouts(size: (Int, Int, Int)) {
    let (M, N, K) = size
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        let (fast, reference) = bothProducts(M: M, N: N, K: K, transposeA: transposeA, transposeB: transposeB)
        #expect(
          maxDifference(fast, reference) < 1e-4 * Float(K).squareRoot(),
          "A\(transposeA ? "ᵀ" : "")·B\(transposeB ? "ᵀ" : "") \(size)")
      }
    }
  }

  @Test func accumulateAddsToC() {
    let (fast, reference) = bothProducts(M: 20, N: 40, K: 10, transposeA: false, transposeB: true, accumulate: true)
    #expect(maxDifference(fast, reference) < 1e-4)
  }

  @Test func leadingDimensionReadsASlice() {
    let (fast, reference) = bothProducts(M: 14, N: 35, K: 9, transposeA: false, transposeB: false, padA: 5)
    #expect(maxDifference(fast, reference) < 1e-4)
  }

  // Two and three column blocks, each with one K block and with two (K = 400).
  @Test(arguments: [GemmEngine.NC + 40, 2 * GemmEngine.NC + 7])
  func wideMatricesCrossTheColumnBlock(N: Int) {
    for (K, transposeB) in [(5, false), (5, true), (400, false), (400, true)] {
      let (fast, reference) = bothProducts(M: 13, N: N, K: K, transposeA: true, transposeB: transposeB)
      #expect(maxDifference(fast, reference) < 1e-4 * Float(K).squareRoot(), "N \(N), K \(K)")
    }
  }

  /// A transposed A is read in place for at most two column panels (N ≤ 2·NR) and packed for
  /// more, every row panel of a K block at once; both must give the bits of the same product
  /// with A stored row-major, on one thread or on four. Four split the products with N ≥ 200
  /// by columns, each piece packing A where it is wider than 2·NR (a quarter of N = 2,100
  /// spans two column blocks); the smaller ones run as one piece.
  @Test(arguments: [20, 32, 37, 64, 65, 200, 600, 2100], [1, 4])
  func aTransposedAGivesTheBitsOfItsRowMajorCopy(N: Int, threads: Int) {
    let (M, K) = (31, 500)  // whole row panels (2 of 12, or 5 of 6) and an edge; two K blocks of 250
    var rng = SplitMix64(seed: 9)
    let stored = Tensor.randn([K, M], rng: &rng)  // op(A) = storedᵀ
    var rowMajor = Tensor(shape: [M, K])
    for k in 0..<K { for i in 0..<M { rowMajor[i, k] = stored[k, i] } }
    let b = Tensor.randn([K, N], rng: &rng)
    let start = Tensor.randn([M, N], rng: &rng)
    var (fromTransposed, fromRowMajor) = (start, start)
    b.withPointer { pb in
      stored.withPointer { pa in
        fromTransposed.withMutablePointer {
          Matmul.gemm(M: M, N: N, K: K, a: pa, transposeA: true, b: pb, c: $0, accumulate: true, threads: threads)
        }
      }
      rowMajor.withPointer { pa in
        fromRowMajor.withMutablePointer { Matmul.gemm(M: M, N: N, K: K, a: pa, b: pb, c: $0, accumulate: true) }
      }
    }
    let differing = zip(fromTransposed.storage, fromRowMajor.storage).filter { $0.0 != $0.1 }.count
    #expect(differing == 0, "\(differing) of \(M * N) numbers differ at N \(N) on \(threads) threads")
  }

  /// With more row panels than column panels, the threads share each block of B, and a
  /// transposed A is packed whole for each K block, the threads taking a share of its steps
  /// each (`GemmEngine.shared`). 151 rows end in a partial panel on either tile (12 or 6
  /// rows). A is packed when more than two column panels read it: N = 100 and 300 pack it on
  /// either tile, N = 50 only on the 16-column one, and N = 30 on neither.
  @Test(arguments: [30, 50, 100, 300], [1, 2, 4])
  func aTransposedAPackedByAllThreadsGivesTheBitsOfItsRowMajorCopy(N: Int, threads: Int) {
    let (M, K) = (151, 500)
    var rng = SplitMix64(seed: 12)
    let stored = Tensor.randn([K, M], rng: &rng)  // op(A) = storedᵀ
    var rowMajor = Tensor(shape: [M, K])
    for k in 0..<K { for i in 0..<M { rowMajor[i, k] = stored[k, i] } }
    let b = Tensor.randn([K, N], rng: &rng)
    var (fromTransposed, fromRowMajor) = (Tensor(shape: [M, N]), Tensor(shape: [M, N]))
    b.withPointer { pb in
      stored.withPointer { pa in
        fromTransposed.withMutablePointer {
          Matmul.gemm(M: M, N: N, K: K, a: pa, transposeA: true, b: pb, c: $0, threads: threads)
        }
      }
      rowMajor.withPointer { pa in
        fromRowMajor.withMutablePointer { Matmul.gemm(M: M, N: N, K: K, a: pa, b: pb, c: $0, threads: 1) }
      }
    }
    let differing = zip(fromTransposed.storage, fromRowMajor.storage).filter { $0.0 != $0.1 }.count
    #expect(differing == 0, "\(differing) of \(M * N) numbers differ at N \(N) on \(threads) threads")
  }

  /// Column blocks are as even as whole panels allow, and never wider than `NC`.
  @Test func columnBlocksAreEven() {
    #expect(GemmEngine.NC == 512)
    let widths = [65, 384, 576, 1152, 1536, 1537, 50257].map(GemmEngine.nBlockLength)
    let wholePanels = GemmEngine.NR == 32 ? [96, 384, 288, 384, 512, 416, 512] : [80, 384, 288, 384, 512, 400, 512]
    #expect(widths == wholePanels)
  }

  /// Packing a transposed B moves 16 x 16 blocks through vector registers; every number must
  /// land where the one-number-at-a-time definition puts it, ragged edges included. A panel
  /// has `NR` columns (32 or 16): rows past it are wrapped into range.
  @Test(arguments: [(32, 384), (32, 19), (16, 16), (17, 33), (5, 40), (31, 1)])
  func transposedPackingPutsEveryNumberInPlace(size: (rows: Int, kc: Int)) {
    let size = (rows: (size.rows - 1) % GemmEngine.NR + 1, kc: size.kc)
    let ldb = size.kc + 3
    let src = (0..<(size.rows * ldb)).map { Float($0) }
    var panel = [Float](repeating: -1, count: size.kc * GemmEngine.NR)
    src.withUnsafeBufferPointer { s in
      panel.withUnsafeMutableBufferPointer { p in
        GemmEngine.packTransposed(s.baseAddress!, ldb: ldb, rows: size.rows, kc: size.kc, into: p.baseAddress!)
      }
    }
    var wrong = 0
    for k in 0..<size.kc {
      for j in 0..<GemmEngine.NR {  // columns past `rows` are the caller's padding: untouched
        let want = j < size.rows ? src[j * ldb + k] : -1
        if panel[k * GemmEngine.NR + j] != want { wrong += 1 }
      }
    }
    #expect(wrong == 0, "\(wrong) numbers misplaced for \(size)")
  }

  @Test func resultsDoNotDependOnTheThreadCount() {
    let one = bothProducts(M: 96, N: 128, K: 200, transposeA: false, transposeB: false, threads: 1).fast
    let two = bothProducts(M: 96, N: 128, K: 200, transposeA: false, transposeB: false, threads: 2).fast
    #expect(one == two)
  }

  /// On several threads, the row bands share each packed block of B: with two column blocks,
  /// two K blocks, a bias and a ragged last panel, every number must be one thread's.
  @Test(arguments: [false, true])
  func sharedBlocksGiveOneThreadsBits(accumulate: Bool) {
    let (M, N, K) = (301, GemmEngine.NC + 90, 500)
    var rng = SplitMix64(seed: 12)
    let (a, b) = (Tensor.randn([M * K], rng: &rng), Tensor.randn([K * N], rng: &rng))
    let (bias, start) = (Tensor.randn([N], rng: &rng), Tensor.randn([M * N], rng: &rng))
    func product(threads: Int) -> [Float] {
      var c = start
      a.withPointer { pa in
        b.withPointer { pb in
          bias.withPointer { pbias in
            c.withMutablePointer {
              Matmul.gemm(
                M: M, N: N, K: K, a: pa, b: pb, c: $0, accumulate: accumulate, bias: pbias, threads: threads)
            }
          }
        }
      }
      return c.storage
    }
    let (one, four) = (product(threads: 1), product(threads: 4))
    let differing = zip(one, four).filter { $0.0 != $0.1 }.count
    #expect(differing == 0, "\(differing) of \(M * N) numbers differ")
    #expect(maxDifference(one, start.storage) > 1, "the product must change C")
  }

  @Test func emptyInnerDimensionGivesZeros() {
    var c = Tensor(shape: [2, 2], repeating: 5)
    let a: [Float] = [0]
    c.withMutablePointer { Matmul.gemm(M: 2, N: 2, K: 0, a: a, b: a, c: $0) }
    #expect(c.storage == [0, 0, 0, 0])
  }

  @Test func tensorMatmulIsBatched() {
    var rng = SplitMix64(seed: 5)
    let a = Tensor.randn([3, 4, 5], rng: &rng)
    let b = Tensor.randn([3, 6, 5], rng: &rng)
    let c = matmul(a, b, transposeB: true)  // (3, 4, 5) x (3, 5, 6) -> (3, 4, 6)
    #expect(c.shape == [3, 4, 6])
    var expected: Float = 0
    for k in 0..<5 { expected += a[2, 1, k] * b[2, 3, k] }
    #expect(abs(c[2, 1, 3] - expected) < 1e-5)
  }
}

@Suite("00 tensors: empty shapes")
struct EmptyShapeTests {
  @Test func emptyOperandsGiveEmptyOrZeroResults() {
    #expect(matmul(Tensor(shape: [0, 3]), Tensor(shape: [3, 2])).shape == [0, 2])
    #expect(matmul(Tensor(shape: [2, 0]), Tensor(shape: [0, 2])).storage == [0, 0, 0, 0])
    #expect(CrossEntropy.forward(Tensor(shape: [0, 5]), targets: []).counted == 0)
  }
}

/// The product `op(A)·B` for a square `op(A)` `(T, T)` and `B` `(T, N)`, with `triangle` as
/// given, on random operands where `op(A)` is zero outside `zeroOutside` (nil: nowhere).
private func triangularProduct(
  T: Int, N: Int, transposeA: Bool, triangle: Matmul.Triangle, zeroOutside: Matmul.Triangle?,
  threads: Int = 2
) -> [Float] {
  var rng = SplitMix64(seed: 7)
  var a = Tensor.randn([T * T], rng: &rng)
  for i in 0..<T {
    for k in 0..<T where zeroOutside == .lowerA && k > i || zeroOutside == .upperA && k < i {
      a.storage[transposeA ? k * T + i : i * T + k] = 0  // op(A)[i, k] = 0
    }
  }
  let b = Tensor.randn([T * N], rng: &rng)
  var c = Tensor(shape: [T * N], repeating: .nan)  // overwritten: every number it keeps is written
  a.withPointer { pa in
    b.withPointer { pb in
      c.withMutablePointer {
        Matmul.gemm(
          M: T, N: N, K: T, a: pa, transposeA: transposeA, b: pb, c: $0, triangle: triangle, threads: threads)
      }
    }
  }
  return c.storage
}

@Suite("04 attention: the matmul skips the masked triangle exactly")
struct TriangleTests {
  // T = 400 spans two K blocks and splits across threads; 100 is not a multiple of MR.
  // A transposed A is packed (only the steps its triangle leaves) for more than two column
  // panels: 40 columns with the 16-wide tile, 80 with either.
  @Test(arguments: [(100, false), (100, true), (400, false), (400, true)])
  func triangularAGivesTheSameBitsAsTheFullProduct(size: (Int, Bool)) {
    let (T, transposeA) = size
    for triangle in [Matmul.Triangle.lowerA, .upperA] {
      for N in [40, 80] {
        let full = triangularProduct(T: T, N: N, transposeA: transposeA, triangle: .none, zeroOutside: triangle)
        let skipped = triangularProduct(T: T, N: N, transposeA: transposeA, triangle: triangle, zeroOutside: triangle)
        #expect(skipped == full, "\(triangle), T \(T), N \(N), transposeA \(transposeA)")
      }
    }
  }

  @Test func skippingIsReal() {
    // The same option on an A that is *not* triangular gives a different product: the
    // comparison above would notice a triangle option that skipped nothing or too much.
    for triangle in [Matmul.Triangle.lowerA, .upperA] {
      let full = triangularProduct(T: 100, N: 40, transposeA: false, triangle: .none, zeroOutside: nil)
      let skipped = triangularProduct(T: 100, N: 40, transposeA: false, triangle: triangle, zeroOutside: nil)
      #expect(skipped != full)
    }
  }

  // T = 600 is wider than a column block (`GemmEngine.NC`): two blocks of 320 columns (304 with 16-column panels).
  @Test(arguments: [100, 400, 600])
  func lowerCComputesTheLowerTriangle(T: Int) {
    // C = A·B with N = T: every C[i, j] with j ≤ i equals the full product's, bit for bit.
    let full = triangularProduct(T: T, N: T, transposeA: false, triangle: .none, zeroOutside: nil)
    let lower = triangularProduct(T: T, N: T, transposeA: false, triangle: .lowerC, zeroOutside: nil)
    let mismatches = (0..<T).flatMap { i in (0...i).filter { j in lower[i * T + j] != full[i * T + j] } }
    #expect(mismatches.isEmpty)
    #expect(lower != full)  // and work above the diagonal was skipped (left as it was, NaN)
  }
}

@Suite("00 tensors: the matmul adds a bias as it stores")
struct GemmBiasTests {
  /// `gemm(…, bias:)` against `naive` followed by adding the bias to every row.
  func difference(M: Int, N: Int, K: Int, accumulate: Bool, threads: Int = 2) -> Float {
    var rng = SplitMix64(seed: 3)
    let (a, b) = (Tensor.randn([M * K], rng: &rng), Tensor.randn([K * N], rng: &rng))
    let bias = Tensor.randn([N], rng: &rng)
    var (fast, reference) = (Tensor.randn([M * N], rng: &rng), Tensor(shape: [M * N]))
    reference = fast
    a.withPointer { pa in
      b.withPointer { pb in
        bias.withPointer { pbias in
          fast.withMutablePointer {
            Matmul.gemm(M: M, N: N, K: K, a: pa, b: pb, c: $0, accumulate: accumulate, bias: pbias, threads: threads)
          }
        }
        reference.withMutablePointer { Matmul.naive(M: M, N: N, K: K, a: pa, b: pb, c: $0, accumulate: accumulate) }
      }
    }
    for i in 0..<M { for j in 0..<N { reference.storage[i * N + j] += bias.storage[j] } }
    return maxDifference(fast.storage, reference.storage)
  }

  // One row (generation), edge tiles, two K blocks, three column blocks, K = 0.
  @Test(arguments: [(1, 70, 50), (13, 37, 19), (30, 100, 500), (20, 1200, 40), (5, 9, 0)])
  func biasIsAddedToEveryRow(size: (Int, Int, Int)) {
    let (M, N, K) = size
    for accumulate in [false, true] {
      #expect(difference(M: M, N: N, K: K, accumulate: accumulate) < 1e-4 * Float(max(K, 1)).squareRoot())
    }
  }

  @Test func aMissingBiasIsNoticed() {
    // The comparison can fail: the same product without the bias differs from naive + bias.
    var rng = SplitMix64(seed: 3)
    let a = Tensor.randn([4 * 3], rng: &rng)
    var c = Tensor(shape: [4 * 2])
    a.withPointer { pa in c.withMutablePointer { Matmul.gemm(M: 4, N: 2, K: 3, a: pa, b: pa, c: $0) } }
    var withBias = Tensor(shape: [4 * 2])
    let bias: [Float] = [1, -2]
    a.withPointer { pa in withBias.withMutablePointer { Matmul.gemm(M: 4, N: 2, K: 3, a: pa, b: pa, c: $0, bias: bias) }
    }
    #expect(maxDifference(c.storage, withBias.storage) > 0.5)
  }
}
