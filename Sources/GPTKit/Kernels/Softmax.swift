// Chapter 00 introduces this file (chapter 04 uses it for attention): softmax over rows.

/// Softmax along the last dimension: each row of `width` numbers becomes a probability
/// distribution.
///
/// ```
/// y[j] = exp(x[j] - m) / Σ_k exp(x[k] - m),    m = max_k x[k]
/// ```
/// Subtracting the row maximum changes nothing mathematically and keeps `exp` from
/// overflowing. The backward, from `dy` to `dx`, is
/// ```
/// dx[j] = y[j] · (dy[j] - Σ_k y[k] · dy[k])
/// ```
public enum Softmax {
  /// `out` rows = softmax of `inp` rows, `(rows, width)`.
  public static func forward(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int, width: Int
  ) {
    Parallel.forEachChunk(rows, minimumPerChunk: max(1, 4096 / max(width, 1))) { _, range in
      for r in range { row(out + r * width, inp + r * width, width) }
    }
  }

  /// One row: `y = softmax(x · scale)` over `width` numbers: subtract the maximum, exponentiate
  /// sixteen at a time, normalise. Given `T`, the row is the first `width` of `T` numbers (a
  /// row of causal attention's scores) and the rest of them become exactly 0 in `y`.
  ///
  /// The maximum is found sixteen lanes at a time too: a maximum is exact in any order, so
  /// this gives the one-at-a-time loop's bits (which the compiler will not vectorise itself).
  /// `x · scale` is the same product wherever it is formed, so scaling as the row is read
  /// gives the bits of scaling it first. The last, partial vector is taken lane by lane,
  /// unless it lies inside the `T` numbers: then it is read and written whole, its masked
  /// lanes set aside with a lane mask. Those lanes may hold anything, even memory never
  /// written (the score tiles `Matmul.gemm` skips above the diagonal).
  @inline(__always)
  static func row(
    _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ width: Int, scale: Float = 1,
    zeroingTo T: Int? = nil
  ) {
    let full = width / 16 * 16  // the whole vectors; then `ragged` numbers, 0 to 15
    let ragged = width - full
    let whole = ragged > 0 && full + 16 <= (T ?? width)  // the partial vector can be read and written whole
    // Lanes below `ragged`. Compared as floats: `SIMD16<Int32>`'s `.<` compiled to a loop over
    // the lanes through memory, a third of this function's time in attention.
    let kept = FastMath.Vector(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) .< Float(ragged)
    var maxima = FastMath.Vector(repeating: -.infinity)
    var j = 0
    while j < full {
      let v = FastMath.Vector(loading: x + j) * scale
      maxima = maxima.replacing(with: v, where: maxima .< v)
      j += 16
    }
    if whole {
      let v = (FastMath.Vector(loading: x + full) * scale).replacing(with: -.infinity, where: .!kept)
      maxima = maxima.replacing(with: v, where: maxima .< v)
    }
    var maxValue = largest(maxima)
    if !whole { for j in full..<width { maxValue = max(maxValue, x[j] * scale) } }
    var sums = FastMath.Vector()
    j = 0
    while j < full {  // whole vectors, then the ragged end, as in GELU
      let e = FastMath.exp(FastMath.Vector(loading: x + j) * scale - maxValue)
      sums += e
      e.store(to: y + j)
      j += 16
    }
    if whole {
      let e = FastMath.exp(FastMath.Vector(loading: x + full) * scale - maxValue).replacing(with: 0, where: .!kept)
      sums += e
      e.store(to: y + full)
    } else if ragged > 0 {
      var e = FastMath.exp(FastMath.Vector(loading: x + full, lanes: ragged) * scale - maxValue)
      for l in ragged..<16 { e[l] = 0 }
      sums += e
      e.store(to: y + full, lanes: ragged)
    }
    let inverse = 1 / sums.sum()
    j = 0
    while j < full {
      (FastMath.Vector(loading: y + j) * inverse).store(to: y + j)
      j += 16
    }
    if whole {  // masked again: were `inverse` NaN (a NaN or +inf score), 0 · inverse would be too
      (FastMath.Vector(loading: y + full) * inverse).replacing(with: 0, where: .!kept).store(to: y + full)
    } else {
      for j in full..<width { y[j] *= inverse }
    }
    if let T {
      let end = whole ? full + 16 : width  // what is written so far
      (y + end).update(repeating: 0, count: T - end)
    }
  }

  /// The largest of sixteen lanes, folded in halves (16 → 8 → 4 → 2 → 1). A maximum is exact in
  /// any order, so this is `v.max()`, which compiles to a lane-by-lane loop through memory.
  @inline(__always)
  static func largest(_ v: FastMath.Vector) -> Float {
    let m8 = v.lowHalf.replacing(with: v.highHalf, where: v.lowHalf .< v.highHalf)
    let m4 = m8.lowHalf.replacing(with: m8.highHalf, where: m8.lowHalf .< m8.highHalf)
    let m2 = m4.lowHalf.replacing(with: m4.highHalf, where: m4.lowHalf .< m4.highHalf)
    return Swift.max(m2[0], m2[1])
  }

  /// `dInp += softmax'(·)ᵀ dOut`, using the saved output `out`; `(rows, width)`.
  public static func backward(
    dInp: UnsafeMutablePointer<Float>, out: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
    rows: Int, width: Int
  ) {
    Parallel.forEachChunk(rows, minimumPerChunk: max(1, 4096 / max(width, 1))) { _, range in
      for r in range {
        let (y, dy, dx) = (out + r * width, dOut + r * width, dInp + r * width)
        var dot: Float = 0
        for j in 0..<width { dot += y[j] * dy[j] }
        for j in 0..<width { dx[j] += y[j] * (dy[j] - dot) }
      }
    }
  }

  /// Softmax of every row of `x` (its last dimension).
  public static func forward(_ x: Tensor) -> Tensor {
    var out = Tensor(shape: x.shape)
    out.withMutablePointer { o in
      x.withPointer { forward(out: o, inp: $0, rows: x.rowCount, width: x.rowWidth) }
    }
    return out
  }

  /// `dX += ` the gradient through softmax, given its output `y = forward(x)`.
  public static func backward(_ dOut: Tensor, output y: Tensor, into dX: inout Tensor) {
    precondition(dOut.shape == y.shape && dX.shape == y.shape, "Softmax.backward: shapes differ")
    dX.withMutablePointer { d in
      y.withPointer { yp in
        dOut.withPointer { backward(dInp: d, out: yp, dOut: $0, rows: y.rowCount, width: y.rowWidth) }
      }
    }
  }
}
