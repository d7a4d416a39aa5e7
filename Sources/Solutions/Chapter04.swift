// Reference solutions for chapter 04's exercises. Try the exercises first!

import GPTKit

public enum Chapter04 {
  public static func causalMask(_ scores: Tensor) -> Tensor {
    var masked = scores
    let T = scores.shape[0]
    for i in 0..<T { for j in (i + 1)..<T { masked[i, j] = -.infinity } }
    return masked
  }

  public static func singleHeadAttention(q: Tensor, k: Tensor, v: Tensor) -> Tensor {
    let HS = q.shape[1]
    let scores = (1 / Float(HS).squareRoot()) * matmul(q, k, transposeB: true)  // (T, T)
    return matmul(Softmax.forward(causalMask(scores)), v)  // (T, T) x (T, HS) -> (T, HS)
  }

  public static func keys(of qkv: Tensor, head h: Int, heads NH: Int) -> Tensor {
    let (T, C) = (qkv.shape[0], qkv.shape[1] / 3)
    let HS = C / NH
    var out = Tensor(shape: [T, HS])
    for t in 0..<T { for d in 0..<HS { out[t, d] = qkv[t, C + h * HS + d] } }
    return out
  }
}
