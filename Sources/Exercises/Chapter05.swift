// Exercises for chapter 05 (book/05-block.md, "Exercises").

import Foundation
import GPTKit

/// Exercise 5.1: count the parameters.
///
/// A GPT-2 with vocabulary `V`, context `T`, `L` blocks of width `C`, learned positions and
/// biases everywhere. With `tied`, the output layer reuses `wte`; without, it is its own
/// `(C, V)` matrix (no bias). GPT-2 small (50257, 1024, 768, 12, tied) has 124,439,808.
public func parameterCount(V: Int, T: Int, C: Int, L: Int, tied: Bool) throws -> Int {
  throw Exercise.notAttempted
}

/// Exercise 5.2: LayerNorm forward.
///
/// For each row of `x` `(N, C)`: subtract the row mean, divide by √(variance + 1e-5) (the
/// variance divides by C), multiply by `weight` `(C)` and add `bias` `(C)`.
public func layerNormForward(_ x: Tensor, weight: Tensor, bias: Tensor) throws -> Tensor {
  throw Exercise.notAttempted
}

/// Exercise 5.3: LayerNorm backward.
///
/// Return `dX` `(N, C)` for the forward of 5.2, given `dOut` `(N, C)`. The grader runs a
/// gradient check. Hint: with `norm = (x - mean) · rstd` and `dNorm = dOut · weight`,
/// `dX = (dNorm - mean(dNorm) - norm · mean(dNorm · norm)) · rstd`.
public func layerNormBackward(_ x: Tensor, weight: Tensor, dOut: Tensor) throws -> Tensor {
  throw Exercise.notAttempted
}
