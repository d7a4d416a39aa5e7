// Chapter 08 introduces this file: Chinchilla's Approach 2, IsoFLOP profiles.

import Foundation

/// One trained model of a sweep, in the units the fits use.
public struct SweepPoint: Equatable, Sendable {
  /// The compute budget the run belongs to (FLOPs); its actual cost is within a step of it.
  public var budget: Double
  /// Non-embedding parameters.
  public var parameters: Double
  /// Training tokens.
  public var tokens: Double
  /// Final validation loss, nats per token.
  public var loss: Double

  public init(budget: Double, parameters: Double, tokens: Double, loss: Double) {
    (self.budget, self.parameters, self.tokens, self.loss) = (budget, parameters, tokens, loss)
  }
}

/// Hoffmann et al.'s Approach 2: at each fixed budget, the loss against `ln N` is close to a
/// parabola; its vertex is that budget's best size `N*`. Power laws through the vertices give
/// how `N*` and `D*` grow with compute.
public enum Approach2 {
  /// `loss ≈ a + b·x + c·x²` with `x = ln N`, fitted to one budget's runs.
  public struct Profile: Sendable {
    public var budget: Double
    public var a: Double, b: Double, c: Double
    /// The smallest and largest `ln N` the budget trained.
    public var range: ClosedRange<Double>

    public func loss(parameters N: Double) -> Double {
      let x = log(N)
      return a + b * x + c * x * x
    }

    /// The vertex, `N* = exp(-b / 2c)`; only a minimum when the parabola opens upward.
    public var optimalParameters: Double { exp(-b / (2 * c)) }

    /// Whether the vertex is a minimum strictly inside the sizes trained: otherwise the best
    /// size lies outside the grid, and the grid was too narrow to locate it.
    public var hasInteriorMinimum: Bool {
      let x = -b / (2 * c)
      return c > 0 && x > range.lowerBound && x < range.upperBound
    }
  }

  // ANCHOR: isoflop-parabola
  /// Least-squares parabola in `ln N` through one budget's points (at least three sizes).
  public static func profile(_ points: [SweepPoint]) -> Profile? {
    let xs = points.map { log($0.parameters) }
    guard let low = xs.min(), let high = xs.max(), points.count >= 3, high > low else { return nil }
    let centre = (low + high) / 2  // fit in x - centre: better conditioned, same parabola
    let rows = xs.map { [1, $0 - centre, ($0 - centre) * ($0 - centre)] }
    guard let fit = LeastSquares.solve(rows, points.map(\.loss)) else { return nil }
    let (p, q, r) = (fit.coefficients[0], fit.coefficients[1], fit.coefficients[2])
    // expand p + q·(x - m) + r·(x - m)² into a + b·x + c·x²
    return Profile(
      budget: points[0].budget, a: p - q * centre + r * centre * centre, b: q - 2 * r * centre, c: r,
      range: low...high)
  }
  // ANCHOR_END: isoflop-parabola

  /// The IsoFLOP profiles and the power laws `N* = k_N · C^a` and `D* = k_D · C^b`.
  public struct Result: Sendable {
    public var profiles: [Profile]
    /// `(C, N*, D*)` for each budget whose profile has an interior minimum.
    public var optima: [(budget: Double, parameters: Double, tokens: Double)]
    public var parameterLaw: (coefficient: Double, exponent: Double)?
    public var tokenLaw: (coefficient: Double, exponent: Double)?
  }

  /// Fits every budget's profile, then the power laws through their minima. `tokensFor`
  /// turns a budget and a size into the tokens that size can train on for it (`C / FLOPs per token`);
  /// `powerLaw` fits the laws (chapter 08's `--mine` passes the learner's).
  public static func fit(
    _ points: [SweepPoint], tokensFor: (_ budget: Double, _ parameters: Double) -> Double,
    powerLaw: ([(x: Double, y: Double)]) -> (coefficient: Double, exponent: Double)? = LeastSquares.powerLaw
  ) -> Result {
    let budgets = Set(points.map(\.budget)).sorted()
    let profiles = budgets.compactMap { budget in profile(points.filter { $0.budget == budget }) }
    let optima = profiles.filter(\.hasInteriorMinimum).map {
      (budget: $0.budget, parameters: $0.optimalParameters, tokens: tokensFor($0.budget, $0.optimalParameters))
    }
    let enough = optima.count >= 2
    return Result(
      profiles: profiles, optima: optima,
      parameterLaw: enough ? powerLaw(optima.map { ($0.budget, $0.parameters) }) : nil,
      tokenLaw: enough ? powerLaw(optima.map { ($0.budget, $0.tokens) }) : nil)
  }
}
