// Exercises for chapter 08 (book/08-scaling.md, "Exercises").

import Foundation
import GPTKit

/// Exercise 8.1: the parameters that compute.
///
/// Return the parameters of `config` outside the token and position embeddings: the `L`
/// blocks (two LayerNorms, QKV, the attention projection, the MLP's two layers, each with its
/// bias) and the final LayerNorm.
public func nonEmbeddingParameters(_ config: GPTConfig) throws -> Int {
  throw Exercise.notAttempted
}

/// Exercise 8.2: what a token costs.
///
/// Return the FLOPs of training on one token (forward and backward, 2 per multiply-add) for
/// sequences of `config.contextLength` tokens: the matrix products with the weights (the
/// output layer included, the position table not) plus causal attention, which computes only
/// the `(T + 1)/2` keys a token sees on average.
public func flopsPerToken(_ config: GPTConfig) throws -> Double {
  throw Exercise.notAttempted
}

/// Exercise 8.3: a straight line on log-log axes.
///
/// Fit `y = a · x^b` to `points` (all positive) by least squares on `(ln x, ln y)` and return
/// `(a, b)`. Write the two-parameter least squares yourself (no `LeastSquares`).
public func fitPowerLaw(_ points: [(x: Double, y: Double)]) throws -> (coefficient: Double, exponent: Double) {
  throw Exercise.notAttempted
}

/// Exercise 8.4: the best split of a budget.
///
/// Under `law` and `C = 6·N·D`, return the `N` and `D` that reach the lowest loss for
/// `budget` FLOPs. (Setting the derivative to zero gives it in closed form; a search works too.)
public func computeOptimal(budget: Double, law: LossLaw) throws -> (parameters: Double, tokens: Double) {
  throw Exercise.notAttempted
}

/// Exercise 8.5: how much of the machine a run uses.
///
/// A training step on `tokensPerStep` tokens takes `stepSeconds`; each token costs
/// `flopsPerToken`; the machine's peak is `peakGFLOPs` (in GFLOP/s). Return the model FLOPs
/// utilisation, a fraction between 0 and 1.
public func utilisation(stepSeconds: Double, tokensPerStep: Int, flopsPerToken: Double, peakGFLOPs: Double) throws
  -> Double
{
  throw Exercise.notAttempted
}
