// Reference solutions for chapter 05's exercises. Try the exercises first!

import GPTKit

public enum Chapter05 {
  public static func parameterCount(V: Int, T: Int, C: Int, L: Int, tied: Bool) -> Int {
    let block = 2 * C + (3 * C * C + 3 * C) + (C * C + C) + 2 * C + (4 * C * C + 4 * C) + (4 * C * C + C)
    return V * C + T * C + L * block + 2 * C + (tied ? 0 : C * V)
  }

  static func statistics(_ row: ArraySlice<Float>) -> (mean: Float, rstd: Float) {
    let mean = row.reduce(0, +) / Float(row.count)
    let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(row.count)
    return (mean, 1 / (variance + 1e-5).squareRoot())
  }

  public static func layerNormForward(_ x: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
    let (N, C) = (x.shape[0], x.shape[1])
    var out = x
    for n in 0..<N {
      let (mean, rstd) = statistics(x.storage[(n * C)..<(n * C + C)])
      for c in 0..<C { out[n, c] = (x[n, c] - mean) * rstd * weight[c] + bias[c] }
    }
    return out
  }

  public static func layerNormBackward(_ x: Tensor, weight: Tensor, dOut: Tensor) -> Tensor {
    let (N, C) = (x.shape[0], x.shape[1])
    var dX = x
    for n in 0..<N {
      let (mean, rstd) = statistics(x.storage[(n * C)..<(n * C + C)])
      let norm = (0..<C).map { (x[n, $0] - mean) * rstd }
      let dNorm = (0..<C).map { dOut[n, $0] * weight[$0] }
      let meanDNorm = dNorm.reduce(0, +) / Float(C)
      let meanDNormNorm = zip(dNorm, norm).reduce(0) { $0 + $1.0 * $1.1 } / Float(C)
      for c in 0..<C { dX[n, c] = (dNorm[c] - meanDNorm - norm[c] * meanDNormNorm) * rstd }
    }
    return dX
  }
}
