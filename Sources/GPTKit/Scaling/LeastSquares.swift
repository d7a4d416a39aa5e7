// Chapter 08 introduces this file: least squares, the one tool every fit of the chapter uses.

import Foundation

/// Small dense least-squares problems, solved through the normal equations.
///
/// For rows `x_i` (features) and targets `y_i`, the coefficients `w` minimise
/// `Σ (x_i · w - y_i)²`; they solve `(XᵀX) w = Xᵀy`, a `k x k` system for `k` features. With
/// the two or three well-scaled columns of this chapter that is accurate enough; a large or
/// ill-conditioned problem would want a QR factorisation instead.
public enum LeastSquares {
  /// The coefficients and the residual sum of squares, or nil when the columns are dependent.
  public static func solve(_ rows: [[Double]], _ targets: [Double]) -> (coefficients: [Double], residual: Double)? {
    guard let k = rows.first?.count, rows.count >= k else { return nil }
    var normal = [[Double]](repeating: [Double](repeating: 0, count: k + 1), count: k)  // [XᵀX | Xᵀy]
    for (x, y) in zip(rows, targets) {
      for i in 0..<k {
        for j in 0..<k { normal[i][j] += x[i] * x[j] }
        normal[i][k] += x[i] * y
      }
    }
    guard let w = gaussianElimination(normal) else { return nil }
    let residual = zip(rows, targets).reduce(0.0) { sum, pair in
      let fitted = zip(pair.0, w).reduce(0.0) { $0 + $1.0 * $1.1 }
      return sum + (fitted - pair.1) * (fitted - pair.1)
    }
    return (w, residual)
  }

  /// Solves `[A | b]` by Gaussian elimination with partial pivoting; nil if `A` is singular.
  static func gaussianElimination(_ augmented: [[Double]]) -> [Double]? {
    var m = augmented
    let k = m.count
    for column in 0..<k {
      let pivot = (column..<k).max { abs(m[$0][column]) < abs(m[$1][column]) }!
      let scale = m.map { abs($0[column]) }.max() ?? 0
      guard abs(m[pivot][column]) > 1e-12 * max(scale, 1e-300) else { return nil }
      m.swapAt(column, pivot)
      for row in (column + 1)..<k {
        let factor = m[row][column] / m[column][column]
        for j in column...k { m[row][j] -= factor * m[column][j] }
      }
    }
    var w = [Double](repeating: 0, count: k)
    for row in stride(from: k - 1, through: 0, by: -1) {
      var sum = m[row][k]
      for j in (row + 1)..<k { sum -= m[row][j] * w[j] }
      w[row] = sum / m[row][row]
    }
    return w
  }

  // ANCHOR: power-law-fit
  /// Fits `y = a · x^b` to positive points by a straight line through `(ln x, ln y)`:
  /// a power law is a line on log-log axes, with slope `b` and intercept `ln a`.
  public static func powerLaw(_ points: [(x: Double, y: Double)]) -> (coefficient: Double, exponent: Double)? {
    guard let line = solve(points.map { [1, log($0.x)] }, points.map { log($0.y) }) else { return nil }
    return (exp(line.coefficients[0]), line.coefficients[1])
  }
  // ANCHOR_END: power-law-fit
}
