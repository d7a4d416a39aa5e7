// Chapter 03 introduces this file: projecting vectors to 2-D to look at them.

/// The two principal directions of a set of row vectors, by power iteration: a 2-D picture
/// that keeps as much of their spread as any flat view can.
public enum Projection {
  /// Each row of `x` `(N, C)` projected onto its first two principal components, `(N, 2)`.
  public static func principal2D(_ x: Tensor) -> [(Double, Double)] {
    let (N, C) = (x.shape[0], x.shape[1])
    var centred = x
    for c in 0..<C {
      var mean: Float = 0
      for n in 0..<N { mean += x[n, c] }
      mean /= Float(N)
      for n in 0..<N { centred[n, c] -= mean }
    }
    let covariance = matmul(centred, centred, transposeA: true)  // (C, N) x (N, C) -> (C, C)
    var components: [[Float]] = []
    for k in 0..<2 {
      var v = (0..<C).map { Float(($0 * 7 + k * 3) % 5) + 1 }  // any fixed start not orthogonal to the answer
      for _ in 0..<200 {
        var next = [Float](repeating: 0, count: C)
        for i in 0..<C { for j in 0..<C { next[i] += covariance[i, j] * v[j] } }
        for previous in components {  // stay orthogonal to the first component
          let dot = zip(next, previous).reduce(0) { $0 + $1.0 * $1.1 }
          for i in 0..<C { next[i] -= dot * previous[i] }
        }
        let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
        v = next.map { $0 / max(norm, 1e-12) }
      }
      components.append(v)
    }
    return (0..<N).map { n in
      let row = (0..<C).map { centred[n, $0] }
      return (
        Double(zip(row, components[0]).reduce(0) { $0 + $1.0 * $1.1 }),
        Double(zip(row, components[1]).reduce(0) { $0 + $1.0 * $1.1 })
      )
    }
  }

  /// `a·b / (|a| |b|)`: 1 for the same direction, 0 for unrelated, -1 for opposite.
  public static func cosineSimilarity(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
    var (dot, na, nb): (Float, Float, Float) = (0, 0, 0)
    for (x, y) in zip(a, b) {
      dot += x * y
      na += x * x
      nb += y * y
    }
    return dot / max((na * nb).squareRoot(), 1e-12)
  }
}
