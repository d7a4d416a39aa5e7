// Chapter 00 introduces this file (chapter 05 explains why transformers use it): LayerNorm.

/// Layer normalisation over the last dimension `C` of `(N, C)` rows (N = B*T positions):
///
/// ```
/// mean = Σ x / C,   var = Σ (x - mean)² / C,   rstd = 1 / √(var + ε)
/// out  = (x - mean) · rstd · weight + bias
/// ```
/// The forward saves `mean` and `rstd` per row, `(N)` each; the backward needs them.
public enum LayerNorm {
  public static let epsilon: Float = 1e-5

  // ANCHOR: layernorm-forward
  /// `out[n, :] = normalise(inp[n, :]) · weight + bias` for `rows` rows of `C`.
  public static func forward(
    out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
    rstd: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, C: Int
  ) {
    Parallel.forEachChunk(rows, minimumPerChunk: max(1, 8192 / C)) { _, range in
      let columns = UnsafeMutablePointer<Float>.allocate(capacity: 16 * C)  // room for `sideBySide`
      defer { columns.deallocate() }
      for first in stride(from: range.lowerBound, to: range.upperBound, by: 16) {
        let group = first...(min(first + 16, range.upperBound) - 1)
        let (m, s) = statistics(of: group, inp: inp, C: C, columns: columns)  // sixteen rows at once, a lane each
        for n in group {
          let (x, y, lane) = (inp + n * C, out + n * C, n - first)
          for i in 0..<C { y[i] = (x[i] - m[lane]) * s[lane] * weight[i] + bias[i] }
          mean[n] = m[lane]
          rstd[n] = s[lane]
        }
      }
    }
  }

  /// The mean and `rstd` of the rows `group` (one to sixteen), one lane per row.
  ///
  /// Each sum is a chain of additions, every one waiting for the one before, so a row at a
  /// time leaves the processor idle. Here sixteen rows' chains run side by side, one vector
  /// addition per column, once `sideBySide` has turned the rows into columns. A lane adds its
  /// row's terms left to right, exactly as a loop over that row alone would, so the bits are
  /// the one-row loop's. Missing rows repeat the last one, unused.
  @inline(__always)
  static func statistics(
    of group: ClosedRange<Int>, inp: UnsafePointer<Float>, C: Int, columns: UnsafeMutablePointer<Float>
  ) -> (mean: SIMD16<Float>, rstd: SIMD16<Float>) {
    sideBySide(group, of: inp, C: C, into: columns)  // column i: number i of each row
    var sum = SIMD16<Float>()
    for i in 0..<C { sum += SIMD16(loading: columns + 16 * i) }
    let m = sum / Float(C)
    var squares = SIMD16<Float>()
    for i in 0..<C {
      let d = SIMD16(loading: columns + 16 * i) - m
      squares += d * d
    }
    return (m, 1 / (squares / Float(C) + epsilon).squareRoot())
  }

  /// Copies the rows `group` (one to sixteen, each `C` long) to `columns` side by side:
  /// `columns[16·i + lane]` is number `i` of row `group.lowerBound + lane`, and missing rows
  /// repeat the last. Blocks of 16 x 16 are transposed with vector shuffles
  /// (`GemmEngine.transpose16`). A vector built from one load per row, as the four-row
  /// `SIMD4(x0[i], x1[i], x2[i], x3[i])` this replaced, compiles to a gather instruction:
  /// config B's 16,384 rows took 9.4-9.8 ms that way on a 2-core Zen 5, and 1.6-2.4 ms so.
  @inline(__always)
  static func sideBySide(
    _ group: ClosedRange<Int>, of x: UnsafePointer<Float>, C: Int, into columns: UnsafeMutablePointer<Float>
  ) {
    let row = { (lane: Int) in x + min(group.lowerBound + lane, group.upperBound) * C }
    var i = 0
    while i + 16 <= C {
      GemmEngine.transpose16(rows: { row($0) + i }, into: columns + 16 * i, stride: 16)
      i += 16
    }
    for i in i..<C {
      for lane in 0..<16 { columns[16 * i + lane] = row(lane)[i] }
    }
  }
  // ANCHOR_END: layernorm-forward

  /// Accumulates the gradients of `forward` into `dInp`, `dWeight` and `dBias`.
  ///
  /// With `norm = (x - mean) · rstd` and `dNorm = dOut · weight`:
  /// ```
  /// dBias   += Σ_n dOut
  /// dWeight += Σ_n dOut · norm
  /// dInp    += (dNorm - mean(dNorm) - norm · mean(dNorm · norm)) · rstd
  /// ```
  /// A `nil` `dWeight` or `dBias` is a frozen LayerNorm: only `dInp` is computed.
  public static func backward(
    dInp: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>?,
    dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
    rows: Int, C: Int
  ) {
    // dWeight and dBias are sums over all rows: one [dWeight | dBias] partial per piece.
    let both = UnsafeMutablePointer<Float>.allocate(capacity: 2 * C)
    both.initialize(repeating: 0, count: 2 * C)
    defer { both.deallocate() }
    Parallel.accumulateRows(rows, width: 2 * C, into: both) { range, partial in
      let columns = UnsafeMutablePointer<Float>.allocate(capacity: 2 * 16 * C)  // for `rowMeans`
      defer { columns.deallocate() }
      for first in stride(from: range.lowerBound, to: range.upperBound, by: 16) {
        let last = min(first + 16, range.upperBound) - 1
        // two reductions first, for sixteen rows at once: mean(dNorm) and mean(dNorm · norm)
        let (dNormMeans, dNormNormMeans) = rowMeans(
          of: first...last, dOut: dOut, inp: inp, weight: weight, mean: mean, rstd: rstd, C: C, columns: columns)
        for n in first...last {
          let lane = n - first
          rowGradients(
            dx: dInp + n * C, partial: partial, dy: dOut + n * C, x: inp + n * C, weight: weight,
            mean: mean[n], rstd: rstd[n], dNormMean: dNormMeans[lane], dNormNormMean: dNormNormMeans[lane], C: C)
        }
      }
    }
    guard let dWeight, let dBias else { return }
    for i in 0..<C {
      dWeight[i] += both[i]
      dBias[i] += both[C + i]
    }
  }

  /// `mean(dNorm)` and `mean(dNorm · norm)` of the rows `group` (one to sixteen), one lane
  /// per row, as `statistics` sums them: the rows of `dOut` and `inp` side by side, one
  /// vector per column, each lane adding its row's terms left to right as a loop over that
  /// row alone would. `columns` has room for `2 · 16 · C` floats. Missing rows repeat the
  /// last one, and are not used.
  @inline(__always)
  static func rowMeans(
    of group: ClosedRange<Int>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, C: Int, columns: UnsafeMutablePointer<Float>
  ) -> (dNormMean: SIMD16<Float>, dNormNormMean: SIMD16<Float>) {
    let (dys, xs) = (columns, columns + 16 * C)
    sideBySide(group, of: dOut, C: C, into: dys)
    sideBySide(group, of: inp, C: C, into: xs)
    var (m, s) = (SIMD16<Float>(), SIMD16<Float>())
    for lane in 0..<16 {
      let n = min(group.lowerBound + lane, group.upperBound)
      (m[lane], s[lane]) = (mean[n], rstd[n])
    }
    var dNormSum = SIMD16<Float>()
    var dNormNormSum = SIMD16<Float>()
    for i in 0..<C {
      let dNorm = SIMD16(loading: dys + 16 * i) * weight[i]
      dNormSum += dNorm
      dNormNormSum += dNorm * (SIMD16(loading: xs + 16 * i) - m) * s
    }
    return (dNormSum / Float(C), dNormNormSum / Float(C))
  }

  /// One row's share of the backward, given its two means: `partial` (`[dWeight | dBias]`)
  /// gains the row's terms and `dx` its gradient, sixteen columns at a time.
  @inline(__always)
  static func rowGradients(
    dx: UnsafeMutablePointer<Float>, partial: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
    x: UnsafePointer<Float>, weight: UnsafePointer<Float>, mean m: Float, rstd s: Float, dNormMean: Float,
    dNormNormMean: Float, C: Int
  ) {
    typealias Vector = SIMD16<Float>
    var i = 0
    while i + 16 <= C {
      let (dyi, norm) = (Vector(loading: dy + i), (Vector(loading: x + i) - m) * s)
      let dNorm = dyi * Vector(loading: weight + i)
      (Vector(loading: partial + C + i) + dyi).store(to: partial + C + i)  // out = norm · weight + bias
      (Vector(loading: partial + i) + dyi * norm).store(to: partial + i)
      (Vector(loading: dx + i) + (dNorm - dNormMean - norm * dNormNormMean) * s).store(to: dx + i)
      i += 16
    }
    for i in i..<C {  // the same expressions, one column at a time
      let norm = (x[i] - m) * s
      let dNorm = dy[i] * weight[i]
      partial[C + i] += dy[i]
      partial[i] += dy[i] * norm
      dx[i] += (dNorm - dNormMean - norm * dNormNormMean) * s
    }
  }

  /// `forward` with the LayerNorm's weights as a view, its statistics in `stats` `(2, rows)`:
  /// the means, then the reciprocal standard deviations.
  public static func forward(
    out: UnsafeMutablePointer<Float>, stats: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
    _ w: LayerNormWeights, rows: Int
  ) {
    forward(
      out: out, mean: stats, rstd: stats + rows, inp: inp, weight: w.weight, bias: w.bias, rows: rows, C: w.channels)
  }

  /// `forward`'s output again from its input and the statistics it saved, bit for bit (the
  /// same expression, in the same order), without the two reductions: the model's backward
  /// remakes each LayerNorm's output this way instead of keeping one `(B, T, C)` copy per layer.
  public static func normalize(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, stats: UnsafePointer<Float>,
    _ w: LayerNormWeights, rows: Int
  ) {
    let (C, weight, bias) = (w.channels, w.weight, w.bias)
    Parallel.forEachChunk(rows, minimumPerChunk: max(1, 8192 / C)) { _, range in
      for n in range {
        let (x, y, m, s) = (inp + n * C, out + n * C, stats[n], stats[rows + n])
        for i in 0..<C { y[i] = (x[i] - m) * s * weight[i] + bias[i] }
      }
    }
  }

  /// `backward` with views: accumulates into `dInp`, and into `dW` unless it is `nil`.
  public static func backward(
    dInp: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>,
    stats: UnsafePointer<Float>, _ w: LayerNormWeights, _ dW: LayerNormWeights?, rows: Int
  ) {
    backward(
      dInp: dInp, dWeight: dW?.weight, dBias: dW?.bias, dOut: dOut, inp: inp, weight: w.weight, mean: stats,
      rstd: stats + rows, rows: rows, C: w.channels)
  }

  /// The tensor form: `x` is `(..., C)`, `weight` and `bias` are `(C)`.
  /// Returns the output and the saved `(mean, rstd)`, `(N)` each.
  public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor) -> (out: Tensor, mean: Tensor, rstd: Tensor) {
    let (N, C) = (x.rowCount, x.rowWidth)
    precondition(weight.shape == [C] && bias.shape == [C], "LayerNorm: weight and bias must be (\(C))")
    var out = Tensor(shape: x.shape)
    var mean = Tensor(shape: [N])
    var rstd = Tensor(shape: [N])
    out.withMutablePointer { o in
      mean.withMutablePointer { m in
        rstd.withMutablePointer { s in
          x.withPointer { xp in
            weight.withPointer { w in
              bias.withPointer { b in forward(out: o, mean: m, rstd: s, inp: xp, weight: w, bias: b, rows: N, C: C) }
            }
          }
        }
      }
    }
    return (out, mean, rstd)
  }

  /// The tensor form of `backward`: accumulates into `dX`, `dWeight` and `dBias`.
  public static func backward(
    _ dOut: Tensor, input x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor,
    dX: inout Tensor, dWeight: inout Tensor, dBias: inout Tensor
  ) {
    let (N, C) = (x.rowCount, x.rowWidth)
    dX.withMutablePointer { dx in
      dWeight.withMutablePointer { dw in
        dBias.withMutablePointer { db in
          dOut.withPointer { dy in
            x.withPointer { xp in
              weight.withPointer { w in
                mean.withPointer { m in
                  rstd.withPointer { s in
                    backward(
                      dInp: dx, dWeight: dw, dBias: db, dOut: dy, inp: xp, weight: w, mean: m,
                      rstd: s, rows: N, C: C)
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
