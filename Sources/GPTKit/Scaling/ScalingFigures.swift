// Chapter 08 introduces this file: the chapter's three figures, drawn from a sweep and its fits.

import Foundation

/// The IsoFLOP curves, the compute-optimal frontier and the map of parameters against tokens.
public enum ScalingFigures {
  /// Each budget's runs as dots, its parabola dashed and its vertex `N*`, in one colour per budget.
  public static func isoFLOP(_ result: Approach2.Result, points: [SweepPoint]) -> String {
    var series: [SVG.Series] = []
    for (k, p) in result.profiles.enumerated() {
      let runs = points.filter { $0.budget == p.budget }
      let name = "C \(p.budget.formatted(significant: 2))"
      series.append(SVG.Series(name, runs.map { ($0.parameters, $0.loss) }, style: .points, color: k))
      let (low, high) = (p.range.lowerBound, p.range.upperBound)
      let curve = (0...40).map { exp(low + (high - low) * Double($0) / 40) }
      series.append(SVG.Series("", curve.map { ($0, p.loss(parameters: $0)) }, style: .dashed, color: k))
      if p.hasInteriorMinimum {
        let x = p.optimalParameters
        series.append(SVG.Series("", [(x, p.loss(parameters: x))], style: .points, labels: ["N*"], color: k))
      }
    }
    return SVG.lineChart(
      series, title: "IsoFLOP curves: validation loss at fixed compute", xLabel: "non-embedding parameters N",
      yLabel: "validation loss (nats per token)", logX: true)
  }

  /// Approach 2's optima as dots and Approach 3's optimum over `budgets` as dashed curves,
  /// plus the prediction run `(C, N)` if there is one.
  public static func frontier(
    _ result: Approach2.Result, law: LossLaw, budgets: [Double], flopsPerToken: (Double) -> Double,
    prediction: (budget: Double, parameters: Double)?
  ) -> String {
    let curve = budgets.map { ($0, law.computeOptimal(budget: $0, flopsPerToken: flopsPerToken)) }
    var series = [
      SVG.Series("N* (Approach 2)", result.optima.map { ($0.budget, $0.parameters) }, style: .points),
      SVG.Series("D* (Approach 2)", result.optima.map { ($0.budget, $0.tokens) }, style: .points),
      SVG.Series("N* (Approach 3)", curve.map { ($0.0, $0.1.parameters) }, style: .dashed),
      SVG.Series("D* (Approach 3)", curve.map { ($0.0, $0.1.tokens) }, style: .dashed),
    ]
    if let p = prediction { series.append(SVG.Series("prediction run", [(p.budget, p.parameters)], style: .points)) }
    return SVG.lineChart(
      series, title: "The compute-optimal frontier", xLabel: "training compute C (FLOPs)",
      yLabel: "parameters N, tokens D", logX: true, logY: true)
  }

  /// Published models, the learner's `(name, parameters, tokens)` and the sweep's runs, with
  /// Chinchilla's 20 tokens per parameter as a dashed line.
  public static func knownModels(
    learners: [(name: String, parameters: Double, tokens: Double)], sweep: [SweepRecord]
  ) -> String {
    let known = KnownModel.table
    let line = [1e4, 1e12].map { ($0, 20 * $0) }
    return SVG.lineChart(
      [
        SVG.Series(
          "published models", known.map { ($0.parameters, $0.tokens) }, style: .points, labels: known.map(\.name)),
        SVG.Series("yours", learners.map { ($0.parameters, $0.tokens) }, style: .points, labels: learners.map(\.name)),
        SVG.Series("ch08 sweep", sweep.map { (Double($0.parameters), Double($0.tokens)) }, style: .points),
        SVG.Series("20 tokens per parameter", line, style: .dashed),
      ], title: "Parameters against training tokens", xLabel: "parameters N", yLabel: "training tokens D",
      width: 760, height: 520, logX: true, logY: true)
  }
}
