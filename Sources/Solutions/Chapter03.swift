// Reference solutions for chapter 03's exercises. Try the exercises first!

import Foundation
import GPTKit

public enum Chapter03 {
  public static func sinusoidalEncoding(T: Int, C: Int) -> Tensor {
    var table = Tensor(shape: [T, C])
    for t in 0..<T {
      for i in 0..<(C / 2) {
        let angle = Double(t) / pow(10_000, Double(2 * i) / Double(C))
        table[t, 2 * i] = Float(sin(angle))
        table[t, 2 * i + 1] = Float(cos(angle))
      }
    }
    return table
  }

  public static func embeddingBackward(dOut: Tensor, tokens: [Int], V: Int) -> Tensor {
    let C = dOut.shape[1]
    var dWte = Tensor(shape: [V, C])
    for (n, token) in tokens.enumerated() {
      for c in 0..<C { dWte[token, c] += dOut[n, c] }
    }
    return dWte
  }

  public static func cosineSimilarity(_ a: [Float], _ b: [Float]) -> Float {
    let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    let norms = (a.reduce(0) { $0 + $1 * $1 } * b.reduce(0) { $0 + $1 * $1 }).squareRoot()
    return norms == 0 ? 0 : dot / norms
  }
}
