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
      for first in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
        let group = first...(min(first + 4, range.upperBound) - 1)
        let (m, s) = statistics(of: group, inp: inp, C: C)  // four rows at once, one lane each
        for n in group {
          let (x, y, lane) = (inp + n * C, out + n * C, n - first)
          for i in 0..<C { y[i] = (x[i] - m[lane]) * s[lane] * weight[i] + bias[i] }
          mean[n] = m[lane]
          rstd[n] = s[lane]
        }
      }
    }
  }

  /// The mean and `rstd` of the rows `group` (one to four), one lane per row.
  ///
  /// Each sum is a chain of additions, every one waiting for the one before, so a row at a
  /// time leaves the processor idle; four rows' chains run side by side in about the time of
  /// one. A lane adds its row's terms left to right, exactly as a loop over that row alone
  /// would, so the bits are the one-row loop's. Missing rows repeat the last one, unused.
  @inline(__always)
  static func statistics(of group: ClosedRange<Int>, inp: UnsafePointer<Float>, C: Int) -> (
    mean: SIMD4<Float>, rstd: SIMD4<Float>
  ) {
    let (n0, last) = (group.lowerBound, group.upperBound)
    let (x0, x1) = (inp + n0 * C, inp + min(n0 + 1, last) * C)
    let (x2, x3) = (inp + min(n0 + 2, last) * C, inp + min(n0 + 3, last) * C)
    var sum = SIMD4<Float>()
    for i in 0..<C { sum += SIMD4(x0[i], x1[i], x2[i], x3[i]) }
    let m = sum / Float(C)
    var squares = SIMD4<Float>()
    for i in 0..<C {
      let d = SIMD4(x0[i], x1[i], x2[i], x3[i]) - m
      squares += d * d
    }
    return (m, 1 / (squares / Float(C) + epsilon).squareRoot())
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
      for first in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
        let last = min(first + 4, range.upperBound) - 1
        // two reductions first, for four rows at once: mean(dNorm) and mean(dNorm · norm)
        let (dNormMeans, dNormNormMeans) = rowMeans(
          of: first...last, dOut: dOut, inp: inp, weight: weight, mean: mean, rstd: rstd, C: C)
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

  /// `mean(dNorm)` and `mean(dNorm · norm)` of the rows `group` (one to four), one lane per row.
  ///
  /// Each sum is a chain of additions, every one waiting for the one before, so a row at a
  /// time leaves the processor idle; four rows' chains run side by side in about the time of
  /// one. A lane adds its row's terms left to right, exactly as a loop over that row alone
  /// would, so the bits do not change. Missing rows repeat the last one, and are not used.
  @inline(__always)
  static func rowMeans(
    of group: ClosedRange<Int>, dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, C: Int
  ) -> (dNormMean: SIMD4<Float>, dNormNormMean: SIMD4<Float>) {
    let (n0, last) = (group.lowerBound, group.upperBound)
    let (n1, n2, n3) = (min(n0 + 1, last), min(n0 + 2, last), min(n0 + 3, last))
    let (m, s) = (SIMD4(mean[n0], mean[n1], mean[n2], mean[n3]), SIMD4(rstd[n0], rstd[n1], rstd[n2], rstd[n3]))
    let (x0, x1, x2, x3) = (inp + n0 * C, inp + n1 * C, inp + n2 * C, inp + n3 * C)
    let (d0, d1, d2, d3) = (dOut + n0 * C, dOut + n1 * C, dOut + n2 * C, dOut + n3 * C)
    var dNormSum = SIMD4<Float>()
    var dNormNormSum = SIMD4<Float>()
    for i in 0..<C {
      let dNorm = SIMD4(d0[i], d1[i], d2[i], d3[i]) * weight[i]
      dNormSum += dNorm
      dNormNormSum += dNorm * (SIMD4(x0[i], x1[i], x2[i], x3[i]) - m) * s
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
