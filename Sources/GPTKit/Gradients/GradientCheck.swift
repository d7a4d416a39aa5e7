// Chapter 00 introduces this file: proving a backward pass right with finite differences.

/// The result of comparing an analytic gradient with a numerical one.
public struct GradientCheckReport: Sendable, CustomStringConvertible {
  /// The largest `|analytic - numeric|` over the checked elements.
  public var maxAbsoluteError: Double
  /// `maxAbsoluteError` divided by the largest `|numeric|`: the error relative to the size of
  /// the gradient itself, so it means the same for tiny and huge gradients.
  public var relativeError: Double
  /// How many elements were perturbed.
  public var checked: Int

  /// Float32 central differences agree to about 1e-3 of the gradient's scale; a wrong
  /// backward (a missing factor, a sign, a transposed product) is off by 10% or more.
  public static let defaultTolerance = 1e-2

  public func passes(tolerance: Double = defaultTolerance) -> Bool {
    relativeError.isFinite && relativeError <= tolerance
  }

  public var description: String {
    "rel err \(relativeError.formatted(significant: 2)), \(checked) elements"
  }
}

/// A finite-difference gradient checker for any forward/backward pair.
///
/// To test a function `y = f(x)` with a backward `dX = f'(x)ᵀ · dY`, it turns `f` into a
/// scalar with a fixed random projection, `L(x) = Σ_i y_i · r_i`, so that `dL/dy = r`. Then
///
/// ```
/// analytic  dL/dx = backward(r)
/// numeric   dL/dx_i ≈ (L(x + ε·e_i) - L(x - ε·e_i)) / 2ε       (central difference)
/// ```
/// and the two must agree. The central difference has error O(ε²) instead of O(ε), which
/// is what makes the check sharp enough in single precision.
public enum GradientCheck {
  // ANCHOR: gradient-check
  /// Checks `backward` against central differences of `forward` around `x`.
  ///
  /// - Parameters:
  ///   - x: the input to perturb.
  ///   - epsilon: the step; 1e-2 balances truncation error against Float32 rounding.
  ///   - maxElements: perturb at most this many elements (evenly spread) to bound the cost.
  ///   - forward: computes the output from the (perturbed) input.
  ///   - backward: given `dOut`, returns `dX` for the unperturbed input.
  public static func check(
    _ x: Tensor, epsilon: Float = 1e-2, maxElements: Int = 64, seed: UInt64 = 7,
    forward: (Tensor) -> Tensor, backward: (_ dOut: Tensor) -> Tensor
  ) -> GradientCheckReport {
    var rng = SplitMix64(seed: seed)
    let y = forward(x)
    let r = Tensor.randn(y.shape, rng: &rng)  // the random projection: dL/dy = r
    let analytic = backward(r)
    precondition(analytic.shape == x.shape, "backward returned \(analytic.shape), input is \(x.shape)")
    func loss(_ input: Tensor) -> Double {  // L = Σ y · r, summed in Double
      let out = forward(input)
      var total = 0.0
      for i in out.storage.indices { total += Double(out.storage[i]) * Double(r.storage[i]) }
      return total
    }
    let step = max(1, x.count / maxElements)
    var (worst, scale, checked) = (0.0, 0.0, 0)
    for i in stride(from: 0, to: x.count, by: step) {
      var plus = x
      var minus = x
      plus.storage[i] += epsilon
      minus.storage[i] -= epsilon
      let numeric = (loss(plus) - loss(minus)) / Double(plus.storage[i] - minus.storage[i])
      worst = max(worst, abs(Double(analytic.storage[i]) - numeric))
      scale = max(scale, abs(numeric))
      checked += 1
    }
    return GradientCheckReport(
      maxAbsoluteError: worst, relativeError: worst / max(scale, 1e-12), checked: checked)
  }
  // ANCHOR_END: gradient-check
}
