// Exercises for chapter 00 (book/00-tensors.md, "Exercises").

import Foundation
import GPTKit

/// Exercise 0.1: where does an element live?
///
/// Return the position in a row-major buffer of the element at `index` in a tensor of
/// `shape`. For shape `[2, 3, 4]`, index `[1, 2, 3]` is at `(1*3 + 2)*4 + 3 = 23`.
/// Do not call `Tensor.offset`: write the loop yourself.
public func rowMajorOffset(_ index: [Int], shape: [Int]) throws -> Int {
  throw Exercise.notAttempted
}

/// Exercise 0.2: the three-loop matrix multiply.
///
/// Return `a · b` for `a` of shape `(M, K)` and `b` of shape `(K, N)`: a tensor of shape
/// `(M, N)` with `out[i, j] = Σ_k a[i, k] · b[k, j]`. Use only subscripts and loops.
public func naiveMatmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
  throw Exercise.notAttempted
}

/// Exercise 0.3: a numerically stable softmax.
///
/// Return the softmax of each row (the last dimension) of `x`. Rows may hold logits like
/// 1000: subtract the row's maximum before `exp`, or the answer becomes `nan`.
public func softmaxRows(_ x: Tensor) throws -> Tensor {
  throw Exercise.notAttempted
}

/// Exercise 0.4: GELU's backward.
///
/// Given the input `x` and the gradient `dOut` flowing back from the loss, return `dX`,
/// the gradient with respect to `x`, for the tanh GELU of the chapter:
/// `gelu(x) = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`.
/// The grader runs a finite-difference gradient check on your answer.
public func geluBackward(x: Tensor, dOut: Tensor) throws -> Tensor {
  throw Exercise.notAttempted
}
