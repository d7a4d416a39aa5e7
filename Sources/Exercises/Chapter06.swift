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
