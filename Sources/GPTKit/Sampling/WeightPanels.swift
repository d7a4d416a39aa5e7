// Chapter 07 introduces this file: a model's matrices laid out for one-row products, in
// floats or in half the bytes.

/// How generation stores the matrices of the transformer blocks.
public enum WeightPrecision: String, Sendable, CaseIterable {
  /// The model's floats, exactly.
  case float32
  /// Rounded to `BFloat16`: half the bytes to read per token.
  case bfloat16
}

/// A number type a `WeightPanels` can hold.
protocol PanelElement {
  init(_ x: Float)
  var float: Float { get }
  static func load16(_ p: UnsafePointer<Self>) -> SIMD16<Float>
}

extension Float: PanelElement {
  var float: Float { self }
  @inline(__always) static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> { SIMD16(loading: p) }
}

extension BFloat16: PanelElement {
  @inline(__always) static func load16(_ p: UnsafePointer<BFloat16>) -> SIMD16<Float> { SIMD16(loading: p) }
}

/// A `(K, N)` matrix copied into panels of 64 columns, in floats or rounded to `BFloat16`.
///
/// ```
/// row-major (the model)        panels (this)
/// k0: a a a a b b b b          panel 0: a a a a | a a a a | a a a a     (k0, k1, k2)
/// k1: a a a a b b b b          panel 1: b b b b | b b b b | b b b b
/// k2: a a a a b b b b
/// ```
/// Panel `p` holds columns `64p..<64p+64` of every row, row after row. A thread computing its
/// panels of a one-row product then reads one contiguous run of memory, which the hardware
/// prefetcher follows best, and keeps each panel's 64 sums in four registers for the whole of
/// `K` instead of loading and storing them. The last panel is padded with zero columns.
public final class WeightPanels: @unchecked Sendable {
  public static let width = 64
  public let precision: WeightPrecision
  /// `K` and `N`.
  public let rows, columns: Int
  let panels: Int
  let base: UnsafeMutableRawPointer

  /// Copies (and, for `.bfloat16`, rounds) `source`, stored `(rows, columns)` row-major.
  public init(_ source: UnsafePointer<Float>, rows: Int, columns: Int, precision: WeightPrecision) {
    (self.rows, self.columns, self.precision) = (rows, columns, precision)
    panels = (columns + Self.width - 1) / Self.width
    let count = max(1, panels * rows * Self.width)
    switch precision {
    case .float32: base = Self.fill(Float.self, count: count, from: source, rows: rows, columns: columns)
    case .bfloat16: base = Self.fill(BFloat16.self, count: count, from: source, rows: rows, columns: columns)
    }
  }

  private static func fill<E: PanelElement>(
    _: E.Type, count: Int, from source: UnsafePointer<Float>, rows: Int, columns: Int
  ) -> UnsafeMutableRawPointer {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<E>.stride, alignment: 64)
    let p = raw.bindMemory(to: E.self, capacity: count)
    p.initialize(repeating: E(0), count: count)
    for k in 0..<rows {
      for j in 0..<columns { p[(j / width * rows + k) * width + j % width] = E(source[k * columns + j]) }
    }
    return raw
  }

  deinit { base.deallocate() }

  /// Element `(k, j)` as it is held (rounded, for `.bfloat16`).
  public subscript(k: Int, j: Int) -> Float {
    let i = (j / Self.width * rows + k) * Self.width + j % Self.width
    switch precision {
    case .float32: return base.assumingMemoryBound(to: Float.self)[i]
    case .bfloat16: return base.assumingMemoryBound(to: BFloat16.self)[i].float
    }
  }

  /// Bytes held, padding included.
  public var bytes: Int { panels * rows * Self.width * (precision == .float32 ? 4 : 2) }

  /// `c = a · self (+ bias)` for one row `a` `(K)`.
  ///
  /// The additions happen in the order `Matmul.gemm` uses for one row (the same K blocks, one
  /// fused multiply-add per `k` starting from zero, block sums added to `c`, then the bias), so
  /// the result is bit-identical to `gemm` on the values held here.
  public func multiply(
    _ a: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?,
    threads: Int = Parallel.threadCount
  ) {
    guard rows > 0 else {  // an empty sum
      for j in 0..<columns { c[j] = bias?[j] ?? 0 }
      return
    }
    switch precision {
    case .float32: product(base.assumingMemoryBound(to: Float.self), a, c, bias, threads)
    case .bfloat16: product(base.assumingMemoryBound(to: BFloat16.self), a, c, bias, threads)
    }
  }

  // ANCHOR: panels-product
  @inline(__always)
  private func product<E: PanelElement>(
    _ weights: UnsafePointer<E>, _ a: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    _ bias: UnsafePointer<Float>?, _ threads: Int
  ) {
    typealias Vector = SIMD16<Float>
    let (K, N, W) = (rows, columns, Self.width)
    let kBlocks = (K + GemmEngine.KC - 1) / GemmEngine.KC  // gemm's K blocks, for gemm's bits
    let kc = (K + kBlocks - 1) / kBlocks
    let pieces = N * K < 1 << 17 ? 1 : threads  // small products: a second thread costs more than it saves
    Parallel.forEachChunk(panels, chunks: pieces) { _, panelRange in
      for panel in panelRange {
        let (j0, lanes) = (panel * W, min(W, N - panel * W))
        for k0 in stride(from: 0, to: K, by: kc) {
          var (s0, s1, s2, s3) = (Vector(), Vector(), Vector(), Vector())
          var b = weights + (panel * K + k0) * W
          for k in k0..<min(K, k0 + kc) {  // one row of the panel: 64 weights
            let x = Vector(repeating: a[k])
            s0.addProduct(x, E.load16(b))
            s1.addProduct(x, E.load16(b + 16))
            s2.addProduct(x, E.load16(b + 32))
            s3.addProduct(x, E.load16(b + 48))
            b += W
          }
          withUnsafeTemporaryAllocation(of: Float.self, capacity: W) { sums in
            let s = sums.baseAddress!
            (s0.store(to: s), s1.store(to: s + 16), s2.store(to: s + 32), s3.store(to: s + 48))
            for j in 0..<lanes { c[j0 + j] = k0 == 0 ? s[j] : c[j0 + j] + s[j] }  // block sums into c
          }
        }
        if let bias { for j in 0..<lanes { c[j0 + j] += bias[j0 + j] } }
      }
    }
  }
  // ANCHOR_END: panels-product
}

/// The four matrices of every block (`qkv`, attention projection, MLP up and down) as
/// `WeightPanels`, for `KVCache`. They hold nearly all of a GPT's parameters; the embeddings,
/// biases and LayerNorms are read from the model. A snapshot: training the model further
/// does not change it.
public final class GenerationWeights: @unchecked Sendable {
  public let precision: WeightPrecision
  /// Per block, the panels of `GPT.Block.matrices`: qkv, proj, fc, fcProj.
  let blocks: [[WeightPanels]]

  public init(_ model: GPT, precision: WeightPrecision) {
    self.precision = precision
    blocks = (0..<model.config.layerCount).map { l in
      GPT.Block(model.parameters, l).matrices(C: model.config.channels).map {
        WeightPanels($0.weight, rows: $0.rows, columns: $0.columns, precision: precision)
      }
    }
  }

  /// Bytes held.
  public var bytes: Int { blocks.joined().reduce(0) { $0 + $1.bytes } }
}

extension GPT {
  /// A copy of this model whose block matrices hold their `BFloat16`-rounded values (as
  /// floats): the model that generation with `.bfloat16` weights computes exactly.
  public func roundingBlockMatricesToBFloat16() -> GPT {
    let copy = GPT(config)
    copy.rng = rng
    copy.parameters.base.update(from: parameters.base, count: parameterCount)
    for l in 0..<config.layerCount {
      for m in GPT.Block(copy.parameters, l).matrices(C: config.channels) {
        for i in 0..<(m.rows * m.columns) { m.weight[i] = BFloat16(m.weight[i]).float }
      }
    }
    return copy
  }
}
