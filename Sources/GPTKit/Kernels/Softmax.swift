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

  /// One row: subtract the maximum, exponentiate sixteen at a time, normalise.
  ///
  /// The maximum is found sixteen lanes at a time too: a maximum is exact in any order, so
  /// this gives the one-at-a-time loop's bits (which the compiler will not vectorise itself).
  @inline(__always)
  static func row(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ width: Int) {
    var maxima = FastMath.Vector(repeating: -.infinity)
    var j = 0
    while j + 16 <= width {
      let v = FastMath.Vector(loading: x + j)
      maxima = maxima.replacing(with: v, where: maxima .< v)
      j += 16
    }
    var maxValue = largest(maxima)
    while j < width {
      maxValue = max(maxValue, x[j])
      j += 1
    }
    var sums = FastMath.Vector()
    j = 0
    while j + 16 <= width {  // whole vectors, then the ragged end, as in GELU
      let e = FastMath.exp(FastMath.Vector(loading: x + j) - maxValue)
      sums += e
      e.store(to: y + j)
      j += 16
    }
    if j < width {
      let lanes = width - j
      var e = FastMath.exp(FastMath.Vector(loading: x + j, lanes: lanes) - maxValue)
      for l in lanes..<16 { e[l] = 0 }
      sums += e
      e.store(to: y + j, lanes: lanes)
    }
    let inverse = 1 / sums.sum()
    for j in 0..<width { y[j] *= inverse }
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
