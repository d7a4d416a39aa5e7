// Chapter 07 introduces this file: beam search, the most likely continuation (approximately).

import Foundation

/// Keeps the `width` most probable partial continuations at every step instead of
/// committing to one token at a time. Scores are summed log-probabilities; finished
/// candidates are compared by their score divided by `length^lengthPenalty`, so longer
/// continuations are not punished just for having more (negative) terms.
/// With `width: 1` it is exactly greedy decoding.
public enum BeamSearch {
  // ANCHOR: beam-search
  public static func generate(
    _ model: GPT, prompt: [Int32], count: Int, width: Int, lengthPenalty: Double = 1, stop: Set<Int32> = []
  ) -> [Int32] {
    precondition(width >= 1, "beam width must be at least 1")
    var beams: [(tokens: [Int32], score: Double)] = [([], 0)]
    var finished: [(tokens: [Int32], score: Double)] = []
    for _ in 0..<count where !beams.isEmpty {
      var candidates: [(tokens: [Int32], score: Double)] = []
      for beam in beams {
        let logits = model.nextTokenLogits(prompt + beam.tokens)
        let logProbs = logSoftmax(logits)
        for next in logProbs.indices.sorted(by: { logProbs[$0] > logProbs[$1] }).prefix(width) {
          candidates.append((beam.tokens + [Int32(next)], beam.score + logProbs[next]))
        }
      }
      candidates.sort { $0.score > $1.score }  // stable: ties keep the earlier beam's order
      beams = []
      for c in candidates.prefix(width) {
        if stop.contains(c.tokens.last!) { finished.append(c) } else { beams.append(c) }
      }
    }
    func normalised(_ c: (tokens: [Int32], score: Double)) -> Double {
      c.score / pow(Double(c.tokens.count), lengthPenalty)
    }
    return (finished + beams).max { normalised($0) < normalised($1) }?.tokens ?? []
  }
  // ANCHOR_END: beam-search

  static func logSoftmax(_ logits: [Float]) -> [Double] {
    let m = Double(logits.max()!)
    let total = logits.reduce(0.0) { $0 + exp(Double($1) - m) }
    return logits.map { Double($0) - m - log(total) }
  }
}
