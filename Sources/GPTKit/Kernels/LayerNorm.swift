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
      for n in range {
        let x = inp + n * C
        var sum: Float = 0
        for i in 0..<C { sum += x[i] }
        let m = sum / Float(C)
        var squares: Float = 0
        for i in 0..<C { squares += (x[i] - m) * (x[i] - m) }
        let s = 1 / (squares / Float(C) + epsilon).squareRoot()
        let y = out + n * C
        for i in 0..<C { y[i] = (x[i] - m) * s * weight[i] + bias[i] }
        mean[n] = m
        rstd[n] = s
      }
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
      for n in range {
        let (x, dy, dx) = (inp + n * C, dOut + n * C, dInp + n * C)
        let (m, s) = (mean[n], rstd[n])
        // two reductions first: mean(dNorm) and mean(dNorm · norm)
        var dNormMean: Float = 0
        var dNormNormMean: Float = 0
        for i in 0..<C {
          let dNorm = dy[i] * weight[i]
          dNormMean += dNorm
          dNormNormMean += dNorm * (x[i] - m) * s
        }
        dNormMean /= Float(C)
        dNormNormMean /= Float(C)
        for i in 0..<C {
          let norm = (x[i] - m) * s
          let dNorm = dy[i] * weight[i]
          partial[C + i] += dy[i]  // out = norm · weight + bias
          partial[i] += dy[i] * norm
          dx[i] += (dNorm - dNormMean - norm * dNormNormMean) * s
        }
      }
    }
    guard let dWeight, let dBias else { return }
    for i in 0..<C {
      dWeight[i] += both[i]
      dBias[i] += both[C + i]
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
