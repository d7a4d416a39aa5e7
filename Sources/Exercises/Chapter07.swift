// Exercises for chapter 07 (book/07-sampling.md, "Exercises").

import Foundation

/// Exercise 7.1: greedy.
///
/// Return the index of the largest logit (the first one, if several are equal).
public func greedyPick(_ logits: [Float]) throws -> Int {
  throw Exercise.notAttempted
}

/// Exercise 7.2: temperature.
///
/// Return `softmax(logits / temperature)` for a temperature above 0. Lower temperatures
/// must make the distribution sharper, higher ones flatter.
public func temperatureSoftmax(_ logits: [Float], temperature: Float) throws -> [Float] {
  throw Exercise.notAttempted
}

/// Exercise 7.3: top-p (nucleus) filtering.
///
/// Keep the smallest set of the most likely tokens whose probabilities add up to at least
/// `p`, zero the rest, and renormalise so the result sums to 1.
public func topP(_ probabilities: [Float], p: Float) throws -> [Float] {
  throw Exercise.notAttempted
}

/// Exercise 7.4: rounding to BFloat16.
///
/// Return the 16 bits of the `BFloat16` nearest to `x`: the top half of `x.bitPattern`,
/// rounded (not truncated) by the lower half, with ties going to the value whose last bit is
/// even. `x` is finite. Do not use `GPTKit.BFloat16`.
public func bfloat16Bits(_ x: Float) throws -> UInt16 {
  throw Exercise.notAttempted
}
