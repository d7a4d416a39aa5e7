// Exercises for chapter 03 (book/03-embeddings.md, "Exercises").

import Foundation
import GPTKit

/// Exercise 3.1: sinusoidal positions.
///
/// Return the `(T, C)` table with `PE[t, 2i] = sin(t / 10000^(2i/C))` and
/// `PE[t, 2i+1] = cos(t / 10000^(2i/C))` (C is even).
public func sinusoidalEncoding(T: Int, C: Int) throws -> Tensor {
  throw Exercise.notAttempted
}

/// Exercise 3.2: the backward of a lookup.
///
/// Row `n` of the `(N, C)` output was `wte[tokens[n], :]`. Given `dOut` `(N, C)`, return
/// `dWte` `(V, C)`: each row is the sum of the gradients of every position that looked it up.
public func embeddingBackward(dOut: Tensor, tokens: [Int], V: Int) throws -> Tensor {
  throw Exercise.notAttempted
}

/// Exercise 3.3: cosine similarity.
///
/// Return `a·b / (|a| |b|)` for two vectors of the same length (0 if either is all zeros).
public func cosineSimilarity(_ a: [Float], _ b: [Float]) throws -> Float {
  throw Exercise.notAttempted
}
