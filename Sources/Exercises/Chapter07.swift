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

/// Exercise 7.5: the KV cache's append.
///
/// A new token at `position` has computed its `qkv` row `(3*C)`: the query, key and value of
/// every head, `C = NH * HS` numbers each. Store its key and value in one layer's cache, laid
/// out so that each head's keys and values are one block of memory:
///
/// ```
/// keysT   (C, T)        key element i of position p at  keysT[i * T + p]
/// values  (NH, T, HS)   value element d of head h at p at  values[(h * T + p) * HS + d]
/// ```
/// Worked example: C 2, one head, T 3, position 1, `qkv = [1, 2, 3, 4, 5, 6]` (query [1, 2],
/// key [3, 4], value [5, 6]) turn zeros into `keysT = [0, 3, 0, 0, 4, 0]` and
/// `values = [0, 0, 5, 6, 0, 0]`. `swift run -c release ch07-sampling --mine` generates with it.
public func storeKeyValue(
  keysT: inout [Float], values: inout [Float], qkv: [Float], position: Int, T: Int, heads NH: Int
) throws {
  throw Exercise.notAttempted
}
