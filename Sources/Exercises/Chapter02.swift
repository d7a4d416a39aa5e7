// Exercises for chapter 02 (book/02-dataloader.md, "Exercises").

import Foundation

/// Exercise 2.1: how many windows?
///
/// A stream of `tokens` ids is cut into windows of `contextLength` inputs (plus one more
/// token for the last target), starting every `stride` tokens. Return how many fit.
public func windowCount(tokens: Int, contextLength: Int, stride: Int) throws -> Int {
  throw Exercise.notAttempted
}

/// Exercise 2.2: one training example.
///
/// Return the window that starts at `start`: `x` is `contextLength` ids and `y` is the same
/// ids shifted one to the left, so `y[t]` is the token that follows `x[t]`.
public func window(_ tokens: [Int], start: Int, contextLength: Int) throws -> (x: [Int], y: [Int]) {
  throw Exercise.notAttempted
}

/// Exercise 2.3: the split.
///
/// Return the first `trainFraction` of the tokens (rounded down) for training and the rest
/// for validation, in order.
public func trainValidationSplit(_ tokens: [Int], trainFraction: Double) throws -> (train: [Int], validation: [Int]) {
  throw Exercise.notAttempted
}

/// Exercise 2.4: what random offsets miss.
///
/// nanoGPT draws `draws` window starts uniformly from `tokens - contextLength` positions.
/// Predict the fraction of tokens that at least one window covers (ignore the few tokens
/// near the ends of the stream).
public func randomCoverage(tokens: Int, contextLength: Int, draws: Int) throws -> Double {
  throw Exercise.notAttempted
}
