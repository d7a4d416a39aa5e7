// Chapter 06 introduces this file: the learning-rate schedule and gradient clipping.

import Foundation

/// Linear warmup, then cosine decay to a floor.
///
/// ```
/// lr(step) = maxLR · (step + 1) / warmup                          for step < warmup
///          = minLR + (maxLR - minLR) · (1 + cos(π · progress)) / 2  afterwards
/// ```
/// Warmup keeps the first steps small while Adam's moment estimates are still noisy; the
/// cosine lets the model settle into a minimum with ever smaller steps at the end.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
  public var maxLR: Float
  public var minLR: Float
  public var warmupSteps: Int
  public var totalSteps: Int

  public init(maxLR: Float, minLR: Float? = nil, warmupSteps: Int, totalSteps: Int) {
    (self.maxLR, self.minLR, self.warmupSteps, self.totalSteps) = (maxLR, minLR ?? maxLR / 10, warmupSteps, totalSteps)
  }

  public func rate(at step: Int) -> Float {
    if step < warmupSteps { return maxLR * Float(step + 1) / Float(warmupSteps) }
    let progress = min(1, Float(step - warmupSteps) / Float(max(1, totalSteps - warmupSteps)))
    return minLR + (maxLR - minLR) * (1 + cos(Float.pi * progress)) / 2
  }
}

/// Global gradient-norm clipping: if `‖g‖` over *all* parameters exceeds `maxNorm`, scale
/// every gradient by `maxNorm / ‖g‖`. The direction is kept; only a rare huge step (a bad
/// batch, a spike) is shortened. Returns the norm before clipping.
@discardableResult
public func clipGradients(_ gradients: ParameterBuffer, maxNorm: Float) -> Float {
  let g = gradients.base
  let count = gradients.layout.count
  let norm = Float(
    Parallel.sum(count) { range in range.reduce(0.0) { $0 + Double(g[$1]) * Double(g[$1]) } }.squareRoot())
  if norm > maxNorm && norm.isFinite {
    Elementwise.scale(g, by: maxNorm / norm, count: count)
  }
  return norm
}
