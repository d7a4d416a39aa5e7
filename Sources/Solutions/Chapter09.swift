// Reference solutions for chapter 09's exercises. Try the exercises first!

import Foundation
import GPTKit

public enum Chapter09 {
  public static func assistantMask(_ ids: [Int], format: ChatFormat) -> [UInt8] {
    var mask: [UInt8] = []
    var speaking = false  // inside an assistant turn, after its start marker
    for id in ids {
      mask.append(speaking ? 1 : 0)
      if id == format.assistantStartId { speaking = true }
      if id == format.assistantEndId { speaking = false }  // the end itself was marked 1 above
    }
    return mask
  }

  public static func maskedMeanLoss(logits: [Float], targets: [Int32], B: Int, T: Int, V: Int) -> Float {
    var total: Double = 0
    var counted = 0
    for n in 0..<(B * T) where targets[n] >= 0 {
      let row = logits[(n * V)..<(n * V + V)]
      let top = row.max()!
      let logSum = log(row.reduce(0.0) { $0 + exp(Double($1 - top)) }) + Double(top)
      total += logSum - Double(row[n * V + Int(targets[n])])
      counted += 1
    }
    return counted == 0 ? 0 : Float(total / Double(counted))
  }

  public static func loraForward(_ x: Tensor, A: Tensor, B: Tensor, scale: Float) -> Tensor {
    scale * matmul(matmul(x, A, transposeB: true), B, transposeB: true)  // (N, r) then (N, out)
  }

  public static func loraBackward(_ dDelta: Tensor, x: Tensor, A: Tensor, B: Tensor, scale: Float) -> (
    dX: Tensor, dA: Tensor, dB: Tensor
  ) {
    let h = matmul(x, A, transposeB: true)  // (N, r)
    let dH = scale * matmul(dDelta, B)  // delta = scale · h · Bᵀ  =>  dH = scale · dDelta · B   (N, r)
    let dB = scale * matmul(dDelta.transposed(), h)  // dB = scale · dDeltaᵀ · h   (out, r)
    let dA = matmul(dH.transposed(), x)  // h = x · Aᵀ  =>  dA = dHᵀ · x   (r, in)
    return (matmul(dH, A), dA, dB)  // dX = dH · A   (N, in)
  }

  public static func loraMerge(weight: Tensor, A: Tensor, B: Tensor, scale: Float) -> Tensor {
    weight + scale * matmul(B, A).transposed()  // (out, r) x (r, in) -> (out, in), stored (in, out)
  }
}
