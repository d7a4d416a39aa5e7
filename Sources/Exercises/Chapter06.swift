// Exercises for chapter 06 (book/06-training.md, "Exercises").

import Foundation
import GPTKit

/// Exercise 6.1: the starting line.
///
/// An untrained model with vocabulary `V` should start near what loss? Return it.
public func expectedInitialLoss(vocabularySize V: Int) throws -> Float {
  throw Exercise.notAttempted
}

/// Exercise 6.2: overfit on purpose.
///
/// Train `model` on the single batch `(x, y)` of shape `(B, T)` for `steps` steps with
/// `AdamW` at learning rate `lr`, and return the loss of every step. Each step: zero the
/// gradients, forward with targets, backward, update. (The grader expects the loss to
/// collapse: a model that can learn can memorise one batch.)
public func overfit(
  _ model: GPT, x: [Int32], y: [Int32], B: Int, T: Int, steps: Int, lr: Float
) throws -> [Float] {
  throw Exercise.notAttempted
}

/// How a training run went, judged from its loss curve.
public enum RunVerdict: Equatable, Sendable {
  /// The loss blew up or went NaN: the learning rate is too high.
  case diverged
  /// The loss barely moved: the learning rate is too low.
  case tooSlow
  /// The loss fell steadily.
  case healthy
}

/// Exercise 6.3: feel the learning rate.
///
/// Classify a run from its per-step losses, starting near ln(V). Runs at three learning
/// rates (too high, too low, right) are in the grader.
public func classify(losses: [Float]) throws -> RunVerdict {
  throw Exercise.notAttempted
}

/// Exercise 6.4: the judge.
///
/// Given train and validation losses at the same evaluation points, return the index of the
/// first evaluation after which validation loss never improves again although train loss
/// keeps falling (where memorising began), or nil if validation is still improving at the end.
public func overfittingStart(train: [Float], validation: [Float]) throws -> Int? {
  throw Exercise.notAttempted
}

/// Exercise 6.5: embeddings before and after.
///
/// Return the cosine similarity between the token embeddings (rows of
/// `transformer.wte.weight`) of tokens `a` and `b` in `model`.
public func embeddingCosine(_ model: GPT, _ a: Int, _ b: Int) throws -> Float {
  throw Exercise.notAttempted
}

/// Exercise 6.6: the AdamW update.
///
/// Update one parameter tensor in place at step `t` (from 1), as `AdamW.update` does for every
/// tensor of the model: `p` its weights, `g` its gradient, `m` and `v` its two moments, all
/// `(N)`. `weightDecay` is λ for the blocks' weight matrices and 0 for everything else.
///
/// ```
/// m = β1·m + (1 - β1)·g                  v = β2·v + (1 - β2)·g·g
/// m̂ = m / (1 - β1^t)                     v̂ = v / (1 - β2^t)
/// p = p - lr · m̂ / (√v̂ + ε)              then  p = p · (1 - lr·λ)
/// ```
/// Worked example with β1 0.9, β2 0.95, ε 1e-8: `p = [1]`, `g = [0.5]`, `m = v = [0]`, `t = 1`,
/// `lr = 0.1`, λ = 0 gives `m = [0.05]`, `v = [0.0125]`, m̂ = 0.5, v̂ = 0.25 and
/// `p = 1 - 0.1 · 0.5 / 0.5 = [0.9]`; with λ = 0.1, `p = [0.9 · 0.99] = [0.891]`.
/// `swift run -c release ch06-training --mine` trains the chapter's GPT with your update.
public func adamWUpdate(
  _ p: inout [Float], gradient g: [Float], m: inout [Float], v: inout [Float], step t: Int, lr: Float,
  weightDecay: Float, beta1: Float, beta2: Float, epsilon: Float
) throws {
  throw Exercise.notAttempted
}

/// Exercise 6.7: warmup, then cosine.
///
/// Return the learning rate of step `step` (from 0) in a run of `totalSteps`:
///
/// ```
/// lr = maxLR · (step + 1) / warmupSteps                        for step < warmupSteps
///    = minLR + (maxLR - minLR) · (1 + cos(π · progress)) / 2     afterwards, with
/// progress = min(1, (step - warmupSteps) / max(1, totalSteps - warmupSteps))
/// ```
/// Worked example: maxLR 1e-3, minLR 1e-4, 10 warmup steps of 110: step 0 gives 1e-4, step 9
/// gives 1e-3, step 60 gives 5.5e-4 (halfway down the cosine) and step 110 gives 1e-4.
/// `swift run -c release ch06-training --mine` trains the chapter's GPT on your schedule.
public func learningRate(step: Int, maxLR: Float, minLR: Float, warmupSteps: Int, totalSteps: Int) throws -> Float {
  throw Exercise.notAttempted
}
