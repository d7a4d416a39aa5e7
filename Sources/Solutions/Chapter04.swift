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

  public static func singleHeadBackward(_ dOut: Tensor, q: Tensor, k: Tensor, v: Tensor) -> (
    dQ: Tensor, dK: Tensor, dV: Tensor
  ) {
    let (T, HS) = (q.shape[0], q.shape[1])
    let scale = 1 / Float(HS).squareRoot()
    let att = Softmax.forward(causalMask(scale * matmul(q, k, transposeB: true)))  // (T, T)
    let dAtt = matmul(dOut, v, transposeB: true)  // out = att · v  =>  dAtt = dOut · vᵀ   (T, T)
    let dV = matmul(att.transposed(), dOut)  // dV = attᵀ · dOut   (T, HS)
    var dS = Tensor(shape: [T, T])  // att = softmax(s)  =>  dS = att ⊙ (dAtt - Σ att · dAtt)
    for i in 0..<T {
      let dot = (0..<T).reduce(0) { $0 + att[i, $1] * dAtt[i, $1] }
      for j in 0..<T { dS[i, j] = att[i, j] * (dAtt[i, j] - dot) }
    }
    let dQ = scale * matmul(dS, k)  // s = q · kᵀ / √HS  =>  dQ = dS · k / √HS
    let dK = scale * matmul(dS.transposed(), q)  // dK = dSᵀ · q / √HS
    return (dQ, dK, dV)
  }
}
