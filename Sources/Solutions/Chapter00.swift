// Reference solutions for chapter 00's exercises. Try the exercises first!

import Foundation
import GPTKit

public enum Chapter00 {
  public static func rowMajorOffset(_ index: [Int], shape: [Int]) -> Int {
    var offset = 0
    for (i, extent) in zip(index, shape) { offset = offset * extent + i }
    return offset
  }

  public static func naiveMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let (M, K, N) = (a.shape[0], a.shape[1], b.shape[1])
    var out = Tensor(shape: [M, N])
    for i in 0..<M {
      for j in 0..<N {
        var sum: Float = 0
        for k in 0..<K { sum += a[i, k] * b[k, j] }
        out[i, j] = sum
      }
    }
    return out
  }

  public static func softmaxRows(_ x: Tensor) -> Tensor {
    let (rows, width) = (x.rowCount, x.rowWidth)
    var out = x
    for r in 0..<rows {
      let row = x.storage[(r * width)..<((r + 1) * width)]
      let m = row.max() ?? 0
      let e = row.map { exp($0 - m) }
      let sum = e.reduce(0, +)
      for j in 0..<width { out.storage[r * width + j] = e[j] / sum }
    }
    return out
  }

  public static func geluBackward(x: Tensor, dOut: Tensor) -> Tensor {
    let s = (2 / Float.pi).squareRoot()
    var dX = x
    for i in x.storage.indices {
      let v = x.storage[i]
      let t = tanh(s * (v + 0.044715 * v * v * v))
      let local = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * s * (1 + 3 * 0.044715 * v * v)
      dX.storage[i] = local * dOut.storage[i]
    }
    return dX
  }
}
