// The reference solutions as `--mine` pieces: `WORKBOOK_MINE=reference swift run ch06-training
// --mine` runs them, and the tests use it to show that right pieces change no number.

import Exercises
import Foundation
import GPTKit

extension Pieces {
  /// Every piece, from the reference solutions.
  public static var reference: Pieces {
    var pieces = Pieces()
    pieces.naiveMatmul = Chapter00.naiveMatmul
    pieces.geluBackward = { Chapter00.geluBackward(x: $0, dOut: $1) }
    pieces.trainMerges = Chapter01.trainMerges
    pieces.windowCount = Chapter02.windowCount
    pieces.window = Chapter02.window
    pieces.embeddingBackward = Chapter03.embeddingBackward
    pieces.causalMask = Chapter04.causalMask
    pieces.singleHeadAttention = Chapter04.singleHeadAttention
    pieces.keys = { Chapter04.keys(of: $0, head: $1, heads: $2) }
    pieces.singleHeadBackward = { Chapter04.singleHeadBackward($0, q: $1, k: $2, v: $3) }
    pieces.layerNormForward = Chapter05.layerNormForward
    pieces.layerNormBackward = Chapter05.layerNormBackward
    pieces.adamWUpdate = Chapter06.adamWUpdate
    pieces.learningRate = Chapter06.learningRate
    pieces.embeddingCosine = Chapter06.embeddingCosine
    pieces.temperatureSoftmax = Chapter07.temperatureSoftmax
    pieces.topP = Chapter07.topP
    pieces.fitPowerLaw = Chapter08.fitPowerLaw
    pieces.assistantMask = Chapter09.assistantMask
    pieces.storeKeyValue = {
      try Chapter07.storeKeyValue(keysT: &$0, values: &$1, qkv: $2, position: $3, T: $4, heads: $5)
    }
    return pieces
  }
}

extension Pieces {
  /// The pieces the tests ask for by name: `reference`, or `mistake:N.M` for the reference
  /// pieces with a typical mistake in exercise N.M.
  public static func solutions(_ request: String) -> Pieces? {
    if request == "reference" { return reference }
    guard request.hasPrefix("mistake:") else { return nil }
    var pieces = reference
    switch request.dropFirst(8) {
    case "1.4":  // ties go to the larger pair
      pieces.trainMerges = { text, count in
        var ids = text.utf8.map(Int.init)
        var merges: [TokenPair] = []
        for step in 0..<count {
          guard
            let best = Chapter01.pairCounts(ids).max(by: { a, b in
              a.value != b.value ? a.value < b.value : (a.key.first, a.key.second) < (b.key.first, b.key.second)
            })
          else { break }
          ids = Chapter01.merge(ids, pair: best.key, newID: 256 + step)
          merges.append(best.key)
        }
        return merges
      }
    case "2.2":  // y is x itself, not shifted: the model would learn to copy
      pieces.window = { tokens, start, T in (Array(tokens[start..<(start + T)]), Array(tokens[start..<(start + T)])) }
    case "3.2":  // overwrites a row instead of adding: a repeated token keeps only its last gradient
      pieces.embeddingBackward = { dOut, tokens, V in
        var d = Tensor(shape: [V, dOut.shape[1]])
        for (n, t) in tokens.enumerated() { for c in 0..<dOut.shape[1] { d[t, c] = dOut[n, c] } }
        return d
      }
    case "4.1":  // masks the diagonal too: a token cannot see itself, and the first sees nothing
      pieces.causalMask = { s in
        var m = s
        for i in 0..<s.shape[0] { for j in i..<s.shape[0] { m[i, j] = -.infinity } }
        return m
      }
    case "4.2":  // forgets the 1/√HS scale
      pieces.singleHeadAttention = { q, k, v in
        matmul(Softmax.forward(Chapter04.causalMask(matmul(q, k, transposeB: true))), v)
      }
    case "4.4":  // dK without the transpose: dS · q instead of dSᵀ · q
      pieces.singleHeadBackward = { dOut, q, k, v in
        let right = Chapter04.singleHeadBackward(dOut, q: q, k: k, v: v)
        let scale = 1 / Float(q.shape[1]).squareRoot()
        let att = Softmax.forward(Chapter04.causalMask(scale * matmul(q, k, transposeB: true)))
        let dAtt = matmul(dOut, v, transposeB: true)
        var dS = Tensor(shape: att.shape)
        for i in 0..<att.shape[0] {
          let dot = (0..<att.shape[1]).reduce(0) { $0 + att[i, $1] * dAtt[i, $1] }
          for j in 0..<att.shape[1] { dS[i, j] = att[i, j] * (dAtt[i, j] - dot) }
        }
        return (right.dQ, scale * matmul(dS, q), right.dV)
      }
    case "0.2":  // stops one short of K: the last column of a never counts
      pieces.naiveMatmul = { a, b in
        let (M, K, N) = (a.shape[0], a.shape[1], b.shape[1])
        var out = Tensor(shape: [M, N])
        for i in 0..<M {
          for j in 0..<N { for k in 0..<(K - 1) { out[i, j] += a[i, k] * b[k, j] } }
        }
        return out
      }
    case "0.4":  // forgets the 3 of d(x³)/dx
      pieces.geluBackward = { x, dOut in
        let s = (2 / Float.pi).squareRoot()
        var dX = x
        for i in x.storage.indices {
          let v = x.storage[i]
          let t = tanh(s * (v + 0.044715 * v * v * v))
          dX.storage[i] = (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * s * (1 + 0.044715 * v * v)) * dOut.storage[i]
        }
        return dX
      }
    case "5.2":  // divides by the variance instead of the standard deviation
      pieces.layerNormForward = { x, w, b in
        let (N, C) = (x.shape[0], x.shape[1])
        var out = x
        for n in 0..<N {
          let row = x.storage[(n * C)..<(n * C + C)]
          let mean = row.reduce(0, +) / Float(C)
          let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(C)
          for c in 0..<C { out[n, c] = (x[n, c] - mean) / (variance + 1e-5) * w[c] + b[c] }
        }
        return out
      }
    case "6.6":  // forgets the bias correction: the first steps are ten times too small
      pieces.adamWUpdate = { p, g, m, v, _, lr, decay, beta1, beta2, epsilon in
        Chapter06.adamWUpdate(
          &p, gradient: g, m: &m, v: &v, step: 1_000_000, lr: lr, weightDecay: decay, beta1: beta1, beta2: beta2,
          epsilon: epsilon)
      }
    case "6.7":  // the warmup forgotten: full speed from the first step
      pieces.learningRate = { step, maxLR, minLR, warmup, total in
        Chapter06.learningRate(step: step + warmup, maxLR: maxLR, minLR: minLR, warmupSteps: warmup, totalSteps: total)
      }
    case "7.5":  // the key stored as a row of the (T, C) layout instead of a column of (C, T)
      pieces.storeKeyValue = { keysT, values, qkv, position, T, NH in
        let C = qkv.count / 3
        Chapter07.storeKeyValue(keysT: &keysT, values: &values, qkv: qkv, position: position, T: T, heads: NH)
        for i in 0..<C { keysT[position * C + i] = qkv[C + i] }
      }
    case "8.3":  // the line through the first and last points only, not the least-squares one
      pieces.fitPowerLaw = { p in
        let b = log(p.last!.y / p.first!.y) / log(p.last!.x / p.first!.x)
        return (p.first!.y / pow(p.first!.x, b), b)
      }
    case "9.1":  // the assistant's words are learned but not its end token: it never learns to stop
      pieces.assistantMask = { ids, format in
        Chapter09.assistantMask(ids, format: format).enumerated().map { ids[$0] == format.assistantEndId ? 0 : $1 }
      }
    case "7.3":  // stops before the token that crosses p, so the kept mass is below p
      pieces.topP = { probabilities, top in
        var kept = [Float](repeating: 0, count: probabilities.count)
        var mass: Float = 0
        for i in probabilities.indices.sorted(by: { probabilities[$0] > probabilities[$1] })
        where mass + probabilities[i] <= top {
          kept[i] = probabilities[i]
          mass += probabilities[i]
        }
        return kept.map { $0 / max(mass, 1e-9) }
      }
    default: return nil
    }
    return pieces
  }
}
