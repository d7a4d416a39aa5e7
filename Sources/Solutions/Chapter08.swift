// Reference solutions for chapter 08's exercises. Try the exercises first!

import Exercises
import Foundation
import GPTKit

public enum Chapter08 {
  public static func nonEmbeddingParameters(_ config: GPTConfig) -> Int {
    let (C, L) = (config.channels, config.layerCount)
    let block = 2 * C + (3 * C * C + 3 * C) + (C * C + C) + 2 * C + (4 * C * C + 4 * C) + (4 * C * C + C)
    return L * block + 2 * C
  }

  public static func flopsPerToken(_ config: GPTConfig) -> Double {
    let (V, T, C, L) = (
      Double(config.vocabularySize), Double(config.contextLength), Double(config.channels), Double(config.layerCount)
    )
    let weights = L * 12 * C * C + V * C
    return 6 * weights + 3 * 2 * L * 2 * C * (T + 1) / 2
  }

  public static func fitPowerLaw(_ points: [(x: Double, y: Double)]) -> (coefficient: Double, exponent: Double) {
    let (u, v) = (points.map { log($0.x) }, points.map { log($0.y) })
    let n = Double(points.count)
    let (mu, mv) = (u.reduce(0, +) / n, v.reduce(0, +) / n)
    let slope =
      zip(u, v).reduce(0) { $0 + ($1.0 - mu) * ($1.1 - mv) } / u.reduce(0) { $0 + ($1 - mu) * ($1 - mu) }
    return (exp(mv - slope * mu), slope)
  }

  /// d/dN [A N^-α + B (C/6N)^-β] = 0  =>  α A N^-α = β B (C/6N)^-β, solved for N.
  public static func computeOptimal(budget: Double, law: LossLaw) -> (parameters: Double, tokens: Double) {
    let (a, b) = (law.alpha, law.beta)
    let G = pow(a * law.A / (b * law.B), 1 / (a + b))
    let N = G * pow(budget / 6, b / (a + b))
    return (N, budget / (6 * N))
  }

  public static func utilisation(stepSeconds: Double, tokensPerStep: Int, flopsPerToken: Double, peakGFLOPs: Double)
    -> Double
  {
    Double(tokensPerStep) / stepSeconds * flopsPerToken / (peakGFLOPs * 1e9)
  }
}
