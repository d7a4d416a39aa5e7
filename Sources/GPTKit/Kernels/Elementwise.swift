// Chapter 00 introduces this file: element-wise operations and reductions.

/// Element-wise operations (the residual connection is `add`) and reductions.
/// Reductions add in `Double` over a fixed partition, so they are deterministic.
public enum Elementwise {
  /// `out[i] = a[i] + b[i]`. Its backward is `dA += dOut`, `dB += dOut` (see `accumulate`).
  public static func add(
    out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    count: Int
  ) {
    Parallel.forEachChunk(count, minimumPerChunk: 1 << 16) { _, range in
      let i = range.lowerBound
      addRows(out: out + i, a + i, b + i, count: range.count)
    }
  }

  /// `out[i] = a[i] + b[i]` on this thread, sixteen at a time. Written out because the
  /// compiler will not vectorise the plain loop: it cannot rule out that `out` overlaps the
  /// inputs. (`out` may be `a` or `b`: each element is read before it is written.)
  @inline(__always)
  public static func addRows(
    out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int
  ) {
    typealias Vector = SIMD16<Float>
    var i = 0
    while i + 16 <= count {
      (Vector(loading: a + i) + Vector(loading: b + i)).store(to: out + i)
      i += 16
    }
    for i in i..<count { out[i] = a[i] + b[i] }
  }

  /// `destination[i] += scale · source[i]` (BLAS's axpy; with `scale = 1` the backward of `add`).
  public static func accumulate(
    _ destination: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int,
    scale: Float = 1
  ) {
    Parallel.forEachChunk(count, minimumPerChunk: 1 << 16) { _, range in
      typealias Vector = SIMD16<Float>
      var i = range.lowerBound
      while i + 16 <= range.upperBound {  // written out for the reason given at `addRows`
        (Vector(loading: destination + i) + scale * Vector(loading: source + i)).store(to: destination + i)
        i += 16
      }
      for i in i..<range.upperBound { destination[i] += scale * source[i] }
    }
  }

  /// `x[i] = 0` for `count` floats, every thread clearing its share. A training step's
  /// backward clears gigabytes (each layer's gradient buffers, at config B 250 MB), and one
  /// core alone does not reach the memory's bandwidth.
  public static func zero(_ x: UnsafeMutablePointer<Float>, count: Int) {
    Parallel.forEachChunk(count, minimumPerChunk: 1 << 16) { _, range in
      (x + range.lowerBound).update(repeating: 0, count: range.count)
    }
  }

  /// `x[i] *= scale`.
  public static func scale(_ x: UnsafeMutablePointer<Float>, by scale: Float, count: Int) {
    for i in 0..<count { x[i] *= scale }
  }

  /// `Σ x[i]`, deterministic: the same bits for any number of `threads`.
  public static func sum(_ x: UnsafePointer<Float>, count: Int, threads: Int = Parallel.threadCount) -> Float {
    Float(Parallel.sum(count, threads: threads) { range in range.reduce(0) { $0 + Double(x[$1]) } })
  }

  /// `Σ a[i] · b[i]`, deterministic: the same bits for any number of `threads`.
  public static func dot(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, threads: Int = Parallel.threadCount
  ) -> Float {
    Float(Parallel.sum(count, threads: threads) { range in range.reduce(0) { $0 + Double(a[$1]) * Double(b[$1]) } })
  }

  /// `max x[i]` (`-∞` when empty).
  public static func max(_ x: UnsafePointer<Float>, count: Int) -> Float {
    var best = -Float.infinity
    for i in 0..<count { best = Swift.max(best, x[i]) }
    return best
  }
}

extension Tensor {
  /// Element-wise sum of two tensors of the same shape.
  public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
    precondition(lhs.shape == rhs.shape, "cannot add shapes \(lhs.shape) and \(rhs.shape)")
    var out = Tensor(shape: lhs.shape)
    out.withMutablePointer { o in
      lhs.withPointer { a in rhs.withPointer { Elementwise.add(out: o, a, $0, count: lhs.count) } }
    }
    return out
  }

  /// Every element multiplied by `scale`.
  public static func * (scale: Float, tensor: Tensor) -> Tensor {
    var out = tensor
    out.withMutablePointer { Elementwise.scale($0, by: scale, count: tensor.count) }
    return out
  }

  /// The sum of all elements (deterministic, accumulated in `Double`).
  public func sum() -> Float { withPointer { Elementwise.sum($0, count: count) } }
  /// The mean of all elements.
  public func mean() -> Float { count == 0 ? 0 : sum() / Float(count) }
  /// The largest element.
  public func max() -> Float { withPointer { Elementwise.max($0, count: count) } }
  /// `Σ self[i] · other[i]`.
  public func dot(_ other: Tensor) -> Float {
    precondition(shape == other.shape, "dot: shapes differ \(shape) vs \(other.shape)")
    return withPointer { a in other.withPointer { Elementwise.dot(a, $0, count: count) } }
  }
}
