// Exercises for chapter 04 (book/04-attention.md, "Exercises").

import Foundation
import GPTKit

/// Exercise 4.1: the causal mask.
///
/// Given scores `(T, T)`, return a copy where every entry above the diagonal (column `j`
/// later than row `i`) is `-infinity`, so the softmax gives it weight 0.
public func causalMask(_ scores: Tensor) throws -> Tensor {
  throw Exercise.notAttempted
}

/// Exercise 4.2: one head of causal attention.
///
/// `q`, `k`, `v` are `(T, HS)`. Return `softmax(mask(q·kᵀ / √HS)) · v`, shape `(T, HS)`.
/// You may use `matmul` and `Softmax.forward` from the library.
public func singleHeadAttention(q: Tensor, k: Tensor, v: Tensor) throws -> Tensor {
  throw Exercise.notAttempted
}

/// Exercise 4.3: find a head in the fused buffer.
///
/// `qkv` is `(T, 3*C)`: each row holds all heads' queries, then all keys, then all values,
/// each head taking `HS = C / NH` consecutive columns. Return head `h`'s keys, `(T, HS)`.
public func keys(of qkv: Tensor, head h: Int, heads NH: Int) throws -> Tensor {
  throw Exercise.notAttempted
}

/// Exercise 4.4: one head's backward.
///
/// For `out = softmax(mask(q·kᵀ / √HS)) · v` (exercise 4.2), with `q`, `k`, `v` `(T, HS)`,
/// return `dQ`, `dK`, `dV` `(T, HS)` given `dOut` `(T, HS)`. Undo one line at a time, `att`
/// being the weights `(T, T)`:
///
/// ```
/// out = att · v              =>  dAtt = dOut · vᵀ,  dV = attᵀ · dOut
/// att = softmax(s) by rows   =>  dS[i, j] = att[i, j] · (dAtt[i, j] - Σ_j' att[i, j'] · dAtt[i, j'])
/// s = q · kᵀ / √HS, masked   =>  dQ = dS · k / √HS,  dK = dSᵀ · q / √HS
/// ```
/// Masked entries have `att = 0`, so they get no gradient by themselves. Worked example:
/// with T = 1 the only weight is 1, so `dV = dOut` and `dQ = dK = 0`.
public func singleHeadBackward(_ dOut: Tensor, q: Tensor, k: Tensor, v: Tensor) throws -> (
  dQ: Tensor, dK: Tensor, dV: Tensor
) {
  throw Exercise.notAttempted
}
