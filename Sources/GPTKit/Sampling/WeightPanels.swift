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
  private let ownsStorage: Bool

  /// Bytes the panels of a `(rows, columns)` matrix take, padding included: a multiple of 64.
  public static func bytes(rows: Int, columns: Int, precision: WeightPrecision) -> Int {
    max(1, (columns + width - 1) / width * rows) * width * (precision == .float32 ? 4 : 2)
  }

  /// Copies (and, for `.bfloat16`, rounds) `source`, stored `(rows, columns)` row-major, into
  /// `storage` (`bytes(rows:columns:precision:)` of it, 64-byte aligned, kept alive by the
  /// caller), or into memory of its own.
  public init(
    _ source: UnsafePointer<Float>, rows: Int, columns: Int, precision: WeightPrecision,
    storage: UnsafeMutableRawPointer? = nil
  ) {
    (self.rows, self.columns, self.precision) = (rows, columns, precision)
    panels = (columns + Self.width - 1) / Self.width
    let bytes = Self.bytes(rows: rows, columns: columns, precision: precision)
    base = storage ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    ownsStorage = storage == nil
    switch precision {
    case .float32: fill(Float.self, count: bytes / 4, from: source)
    case .bfloat16: fill(BFloat16.self, count: bytes / 2, from: source)
    }
  }

  private func fill<E: PanelElement>(_: E.Type, count: Int, from source: UnsafePointer<Float>) {
    let (p, W) = (base.bindMemory(to: E.self, capacity: count), Self.width)
    p.initialize(repeating: E(0), count: count)
    for k in 0..<rows {
      for j in 0..<columns { p[(j / W * rows + k) * W + j % W] = E(source[k * columns + j]) }
    }
  }

  deinit { if ownsStorage { base.deallocate() } }

  /// Element `(k, j)` as it is held (rounded, for `.bfloat16`).
  public subscript(k: Int, j: Int) -> Float {
    let i = (j / Self.width * rows + k) * Self.width + j % Self.width
    switch precision {
    case .float32: return base.assumingMemoryBound(to: Float.self)[i]
    case .bfloat16: return base.assumingMemoryBound(to: BFloat16.self)[i].float
    }
  }

  /// Bytes held, padding included.
  public var bytes: Int { Self.bytes(rows: rows, columns: columns, precision: precision) }

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
    let kc = GemmEngine.kBlockLength(K)  // gemm's K blocks, for gemm's bits
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
            s0.store(to: s)
            s1.store(to: s + 16)
            s2.store(to: s + 32)
            s3.store(to: s + 48)
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
/// `WeightPanels`, for `KVCache`, and the output layer. The block matrices hold nearly all of
/// a GPT's parameters; the embeddings, biases and LayerNorms are read from the model. A
/// snapshot: training the model further does not change it.
public final class GenerationWeights: @unchecked Sendable {
  public let precision: WeightPrecision
  /// Per block, the panels of `BlockWeights.linears`: qkv, proj, fc, fcProj.
  let blocks: [[WeightPanels]]
  /// The output layer, the token embedding transposed `(C, V)`, in floats whatever the
  /// precision (the embedding is never rounded). In the model it is stored `(V, C)`, so a
  /// one-row product would gather one number from each of sixteen rows at a time.
  let head: WeightPanels
  /// All the block panels, one after another, and the output layer's.
  private let arena, headArena: UnsafeMutableRawPointer

  public init(_ model: GPT, precision: WeightPrecision) {
    self.precision = precision
    let matrices = model.weights.blocks.map(\.linears)
    let total = matrices.joined().reduce(0) {
      $0 + WeightPanels.bytes(rows: $1.inFeatures, columns: $1.outFeatures, precision: precision)
    }
    // One run of memory in large pages: one token reads all of it, and with 4 KiB pages that
    // is thousands of address translations per token, more than the TLB holds.
    let arena = UnsafeMutableRawPointer.allocateLargePages(byteCount: total)
    var used = 0
    blocks = matrices.map { block in
      block.map { m in
        let (rows, columns) = (m.inFeatures, m.outFeatures)
        defer { used += WeightPanels.bytes(rows: rows, columns: columns, precision: precision) }
        return WeightPanels(m.weight, rows: rows, columns: columns, precision: precision, storage: arena + used)
      }
    }
    self.arena = arena
    let (V, C) = (model.config.vocabularySize, model.config.channels)
    let wte = model.head  // the output layer: wte itself, unless the model has its own
    let transposed = UnsafeMutablePointer<Float>.allocate(capacity: V * C)
    defer { transposed.deallocate() }
    for v in 0..<V {
      for c in 0..<C { transposed[c * V + v] = wte[v * C + c] }
    }
    // Large pages for the output layer too: for GPT-2 it is 154 MB, a third of what a token reads.
    headArena = .allocateLargePages(byteCount: WeightPanels.bytes(rows: C, columns: V, precision: .float32))
    head = WeightPanels(transposed, rows: C, columns: V, precision: .float32, storage: headArena)
  }

  deinit {
    arena.deallocate()
    headArena.deallocate()
  }

  /// Bytes of the block matrices' panels: what a token reads besides the output layer (small
  /// for chapter 06's models, a third of the total for GPT-2).
  public var bytes: Int { blocks.joined().reduce(0) { $0 + $1.bytes } }
}

extension GPT {
  /// A copy of this model whose block matrices hold their `BFloat16`-rounded values (as
  /// floats): the model that generation with `.bfloat16` weights computes exactly.
  public func roundingBlockMatricesToBFloat16() -> GPT {
    let rounded = copy()
    for m in rounded.weights.blocks.flatMap(\.linears) {
      for i in 0..<(m.inFeatures * m.outFeatures) { m.weight[i] = BFloat16(m.weight[i]).float }
    }
    return rounded
  }
}
