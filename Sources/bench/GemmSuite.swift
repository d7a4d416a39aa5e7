// The `gemm` suite: matrix multiplies of exactly the shapes a GPT's training step runs.

import GPTKit

/// The shapes of one layer of the reference GPT (C = 384, B*T = 32*256 = 8192 tokens), in
/// the forms its forward and backward passes use.
enum GemmSuite {
  struct Shape {
    var label: String
    var M: Int, K: Int, N: Int
    var transposeA = false
    var transposeB = false
    /// The reference shape "MxK·KxN" this case is compared against.
    var referenceKey: String
  }

  static let shapes = [
    Shape(label: "qkv forward A·B", M: 8192, K: 384, N: 1152, referenceKey: "8192x384·384x1152"),
    Shape(label: "mlp up forward A·B", M: 8192, K: 384, N: 1536, referenceKey: "8192x384·384x1536"),
    Shape(label: "mlp down forward A·B", M: 8192, K: 1536, N: 384, referenceKey: "8192x1536·1536x384"),
    Shape(label: "attn proj fwd A·B", M: 8192, K: 384, N: 384, referenceKey: "8192x384·384x384"),
    Shape(label: "qkv dX = dY·Wᵀ A·Bᵀ", M: 8192, K: 1152, N: 384, transposeB: true, referenceKey: "8192x1536·1536x384"),
    Shape(label: "qkv dW = Xᵀ·dY Aᵀ·B", M: 384, K: 8192, N: 1152, transposeA: true, referenceKey: "384x8192·8192x1152"),
    Shape(label: "mlp up dW Aᵀ·B", M: 384, K: 8192, N: 1536, transposeA: true, referenceKey: "384x8192·8192x1152"),
    Shape(label: "mlp down dW Aᵀ·B", M: 1536, K: 8192, N: 384, transposeA: true, referenceKey: "384x8192·8192x1152"),
    Shape(label: "attn proj dW Aᵀ·B", M: 384, K: 8192, N: 384, transposeA: true, referenceKey: "384x8192·8192x1152"),
    Shape(label: "square A·B", M: 1024, K: 1024, N: 1024, referenceKey: "1024x1024·1024x1024"),
  ]

  static func run(peak: Double) -> [BenchResult] {
    kernelAlone() + products()
  }

  /// The micro-kernel with nothing around it, re-reading one panel of B and then streaming
  /// B from L2: how close to the peak the products below could come, and how much of the
  /// gap is feeding the kernel.
  static func kernelAlone() -> [BenchResult] {
    [("one panel of B", 1), ("B streamed from L2", PeakFlops.panelsFromL2)].map { label, panels in
      // On a busy machine, a best beside a best: the peak's best of five short readings before
      // and five after, the kernel's best of twenty runs between them.
      func peakNow() -> Double {
        (0..<5).map { _ in PeakFlops.measure(threads: Parallel.threadCount, seconds: 0.03) }.max()!
      }
      let before = peakNow()
      let gflops = (0..<20).map { _ in PeakFlops.microKernelAlone(bPanels: panels, calls: 2_000) }.max()!
      let peak = max(before, peakNow())
      var result = BenchResult(
        suite: "gemm", name: "micro-kernel alone, \(label)", value: gflops, unit: "GFLOP/s", reference: nil,
        basis: "\(Matmul.tile.rows) x \(Matmul.tile.columns) tile, \(PeakFlops.kernelSteps) steps, best of 20",
        notes: "\(percent(gflops / peak)) of \(Int(peak)) GFLOP/s")
      (result.mfu, result.peakGFLOPs) = (gflops / peak, peak)
      return result
    }
  }

  static func products() -> [BenchResult] {
    var rng = SplitMix64(seed: 2024)
    return shapes.map { shape in
      let a = Tensor.randn([shape.M * shape.K], rng: &rng)
      let b = Tensor.randn([shape.K * shape.N], rng: &rng)
      var c = Tensor(shape: [shape.M * shape.N])
      let seconds = c.withMutablePointer { pc in
        a.withPointer { pa in
          b.withPointer { pb in
            timeBesidePeak(repeats: 3, minimum: 0.2) {
              Matmul.gemm(
                M: shape.M, N: shape.N, K: shape.K, a: pa, transposeA: shape.transposeA,
                b: pb, transposeB: shape.transposeB, c: pc)
            }
          }
        }
      }
      let gflops = 2 * Double(shape.M) * Double(shape.N) * Double(shape.K) / seconds.seconds / 1e9
      let sameShape = shape.referenceKey == "\(shape.M)x\(shape.K)·\(shape.K)x\(shape.N)"
      var result = BenchResult(
        suite: "gemm", name: "\(shape.label) \(shape.M)x\(shape.K)·\(shape.K)x\(shape.N)",
        value: gflops, unit: "GFLOP/s", reference: Reference.openBLASAVX512[shape.referenceKey],
        basis: sameShape ? "OpenBLAS AVX-512" : "OpenBLAS AVX-512, \(shape.referenceKey)",
        notes: "\(percent(gflops / seconds.peak)) of \(Int(seconds.peak)) GFLOP/s")
      (result.mfu, result.peakGFLOPs) = (gflops / seconds.peak, seconds.peak)
      return result
    }
  }
}
