// Chapter 08 introduces this file: Chinchilla's Approach 3, one formula for the whole sweep.

import Foundation

/// The loss of a model with `N` parameters trained on `D` tokens, as Hoffmann et al. (2022)
/// model it:
/// ```
/// L(N, D) = E + A / N^α + B / D^β
/// ```
/// `E` is the loss no model reaches (the text's own entropy, as this family sees it); the two
/// other terms are what a finite model and a finite amount of data leave on top.
public struct LossLaw: Equatable, Sendable {
  public var E: Double, A: Double, alpha: Double, B: Double, beta: Double

  public init(E: Double, A: Double, alpha: Double, B: Double, beta: Double) {
    (self.E, self.A, self.alpha, self.B, self.beta) = (E, A, alpha, B, beta)
  }

  /// Chinchilla's published fit (Hoffmann et al. 2022, eq. 10): total parameters, MassiveText tokens.
  public static let chinchilla = LossLaw(E: 1.69, A: 406.4, alpha: 0.34, B: 410.7, beta: 0.28)

  public func loss(parameters N: Double, tokens D: Double) -> Double {
    E + A / pow(N, alpha) + B / pow(D, beta)
  }

  /// The size that reaches the lowest loss for `budget` FLOPs when a model of `N` parameters
  /// costs `flopsPerToken(N)` per token (so trains on `budget / flopsPerToken(N)` tokens).
  /// Searched over `ln N` in `range`: a grid, then golden-section refinement around its best point.
  public func computeOptimal(
    budget: Double, flopsPerToken: (Double) -> Double, range: ClosedRange<Double> = 1e2...1e13
  ) -> (parameters: Double, tokens: Double) {
    func lossAt(_ x: Double) -> Double { loss(parameters: exp(x), tokens: budget / flopsPerToken(exp(x))) }
    let (low, high) = (log(range.lowerBound), log(range.upperBound))
    let grid = (0...400).map { low + (high - low) * Double($0) / 400 }
    let best = grid.indices.min { lossAt(grid[$0]) < lossAt(grid[$1]) }!
    var (a, b) = (grid[max(0, best - 1)], grid[min(grid.count - 1, best + 1)])
    let ratio = (5.0.squareRoot() - 1) / 2
    for _ in 0..<80 {
      let (m1, m2) = (b - ratio * (b - a), a + ratio * (b - a))
      if lossAt(m1) < lossAt(m2) { b = m2 } else { a = m1 }
    }
    let N = exp((a + b) / 2)
    return (N, budget / flopsPerToken(N))
  }
}

/// Fits a `LossLaw` to a sweep by variable projection.
///
/// For fixed exponents `(α, β)` the law is linear in `(E, A, B)`: the columns are `1`,
/// `N^-α` and `D^-β`. So the fit is a search over two numbers, each step a 3-column least
/// squares solved exactly; a grid over `(α, β)` finds the basin of the global optimum and a
/// pattern search refines it. No general nonlinear optimiser, no starting guess to get wrong.
/// The objective is plain least squares on the loss (not Hoffmann et al.'s Huber loss on
/// `log L`): our sweep has no outlier runs to protect against, and plain least squares is what
/// keeps the inner problem linear.
public enum Approach3 {
  public struct Result: Sendable {
    public var law: LossLaw
    /// Root mean square of `loss - law(N, D)` over the points, nats.
    public var rmsResidual: Double
  }

  // ANCHOR: variable-projection
  /// The best `(E, A, B) ≥ 0` for fixed exponents, and its residual sum of squares.
  static func project(_ points: [SweepPoint], alpha: Double, beta: Double) -> (LossLaw, Double)? {
    let columns = points.map { [1, pow($0.parameters, -alpha), pow($0.tokens, -beta)] }
    let y = points.map(\.loss)
    var best: (LossLaw, Double)?
    // Non-negative least squares for three unknowns: try every subset of free coefficients
    // (the others held at 0) and keep the best solution with no negative coefficient.
    for subset in 1..<8 {
      let kept = (0..<3).filter { subset & (1 << $0) != 0 }
      guard let fit = LeastSquares.solve(columns.map { row in kept.map { row[$0] } }, y),
        fit.coefficients.allSatisfy({ $0 >= 0 })
      else { continue }
      var w = [0.0, 0, 0]
      for (slot, value) in zip(kept, fit.coefficients) { w[slot] = value }
      if fit.residual < best?.1 ?? .infinity {
        best = (LossLaw(E: w[0], A: w[1], alpha: alpha, B: w[2], beta: beta), fit.residual)
      }
    }
    return best
  }

  /// Grid over `α, β` in `0.02...2` (steps of 0.02), then a pattern search to 1e-6.
  public static func fit(_ points: [SweepPoint]) -> Result? {
    guard points.count >= 5 else { return nil }
    var best: (LossLaw, Double)?
    for i in 1...100 {
      for j in 1...100 {
        if let trial = project(points, alpha: 0.02 * Double(i), beta: 0.02 * Double(j)),
          trial.1 < best?.1 ?? .infinity
        {
          best = trial
        }
      }
    }
    guard var (law, residual) = best else { return nil }
    var step = 0.01
    while step > 1e-6 {  // move (α, β) by ±step while that helps, then halve the step
      let moves = [(step, 0.0), (-step, 0), (0, step), (0, -step)]
      let trials = moves.compactMap { da, db -> (LossLaw, Double)? in
        let (a, b) = (law.alpha + da, law.beta + db)
        return a > 0 && b > 0 ? project(points, alpha: a, beta: b) : nil
      }
      if let better = trials.min(by: { $0.1 < $1.1 }), better.1 < residual {
        (law, residual) = better
      } else {
        step /= 2
      }
    }
    return Result(law: law, rmsResidual: (residual / Double(points.count)).squareRoot())
  }
  // ANCHOR_END: variable-projection
}
