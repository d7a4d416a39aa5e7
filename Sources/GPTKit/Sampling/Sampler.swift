// Chapter 07 introduces this file: turning logits into the next token.

import Foundation

/// How to pick each next token.
public struct SamplingOptions: Equatable, Sendable {
  /// Divides the logits: below 1 sharpens the distribution, above 1 flattens it. 0 means
  /// greedy (always the most likely token); negative values are rejected.
  public var temperature: Float = 1
  /// Keep only the `k` most likely tokens.
  public var topK: Int? = nil
  /// Keep the smallest set of most likely tokens whose probabilities add up to at least `p`.
  public var topP: Float? = nil
  /// Divides the positive logits (multiplies the negative ones) of tokens already in the
  /// text by this, making repeats less likely; 1 disables it.
  public var repetitionPenalty: Float = 1
  public var seed: UInt64 = 1337

  public init(
    temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, repetitionPenalty: Float = 1, seed: UInt64 = 1337
  ) {
    (self.temperature, self.topK, self.topP, self.repetitionPenalty, self.seed) = (
      temperature, topK, topP, repetitionPenalty, seed
    )
  }

  /// A one-line complaint about an impossible setting, or nil.
  public var problem: String? {
    if !(temperature >= 0) { return "the temperature must be 0 (greedy) or positive, got \(temperature)" }
    if let k = topK, k < 1 { return "top-k must keep at least 1 token, got \(k)" }
    if let p = topP, !(p > 0 && p <= 1) { return "top-p must be in (0, 1], got \(p)" }
    if !(repetitionPenalty >= 1) { return "the repetition penalty must be at least 1, got \(repetitionPenalty)" }
    return nil
  }
}

/// The filters, in their fixed order, and the draw.
///
/// ```
/// logits -> repetition penalty -> / temperature -> top-k -> softmax -> top-p -> sample
/// ```
/// Top-k and top-p only remove tokens; the survivors are renormalised before the draw.
public enum Sampler {
  // ANCHOR: sampler-distribution
  /// The distribution the next token is drawn from (zeros for removed tokens). A `nucleus`
  /// given does top-p instead of the code below (chapter 07's `--mine` gives the learner's).
  public static func distribution(
    _ logits: [Float], previous: [Int32], options: SamplingOptions, nucleus: Nucleus? = nil
  ) -> [Float] {
    var z = logits.map(usable)
    if options.repetitionPenalty != 1 {  // make tokens already used less likely
      for token in Set(previous) {
        let i = Int(token)
        z[i] = z[i] > 0 ? z[i] / options.repetitionPenalty : z[i] * options.repetitionPenalty
      }
    }
    if options.temperature == 0 {  // greedy: all the mass on the most likely token
      var p = [Float](repeating: 0, count: z.count)
      p[z.indices.max { z[$0] < z[$1] }!] = 1
      return p
    }
    let largest = z.max()!  // subtracted first, so that z / 1e-40 stays finite: softmax is unchanged by it
    for i in z.indices { z[i] = (z[i] - largest) / options.temperature }
    if let k = options.topK, k < z.count {  // keep the k largest logits
      let threshold = z.sorted(by: >)[k - 1]
      var kept = 0
      for i in z.indices {
        if z[i] >= threshold && kept < k { kept += 1 } else { z[i] = -.infinity }
      }
    }
    var p = Softmax.forward(Tensor(shape: [1, z.count], storage: z)).storage
    if let top = options.topP, top < 1, let nucleus { return nucleus(p, top) }
    if let top = options.topP, top < 1 {  // nucleus: the smallest set reaching mass `top`
      let order = p.indices.sorted { p[$0] > p[$1] }
      var mass: Float = 0
      var keep = Set<Int>()
      for i in order where mass < top {
        keep.insert(i)
        mass += p[i]
      }
      for i in p.indices where !keep.contains(i) { p[i] = 0 }
      let total = p.reduce(0, +)
      for i in p.indices { p[i] /= total }
    }
    return p
  }
  // ANCHOR_END: sampler-distribution

  /// A logit the arithmetic above can use: infinities become the largest finite values (an
  /// infinite logit still takes all the probability, a -infinite one none) and NaN the
  /// smallest (a logit that is not a number is never picked). Finite logits are unchanged.
  static func usable(_ logit: Float) -> Float {
    logit.isNaN ? -.greatestFiniteMagnitude : min(max(logit, -.greatestFiniteMagnitude), .greatestFiniteMagnitude)
  }

  /// Top-p filtering of `probabilities` to mass `p`, renormalised.
  public typealias Nucleus = (_ probabilities: [Float], _ p: Float) -> [Float]

  /// Draws an index from `p` (which sums to 1) with one uniform number: inverse CDF.
  public static func draw(_ p: [Float], rng: inout SplitMix64) -> Int {
    let u = Float(rng.nextDouble())
    var cumulative: Float = 0
    for i in p.indices where p[i] > 0 {
      cumulative += p[i]
      if u < cumulative { return i }
    }
    return p.indices.last { p[$0] > 0 }!
  }

  /// Entropy of a distribution in nats: 0 when certain, ln V when uniform.
  public static func entropy(_ p: [Float]) -> Double {
    -p.reduce(0.0) { $0 + ($1 > 0 ? Double($1) * log(Double($1)) : 0) }
  }
}
