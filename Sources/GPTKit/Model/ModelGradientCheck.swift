// Chapter 05 introduces this file: checking a whole GPT's backward, tensor by tensor.

extension GradientCheck {
  /// llm.c's whole-model check: for every parameter tensor, nudge `samplesPerTensor` of its
  /// elements by ±`epsilon`, recompute the loss, and compare the slope with the gradient the
  /// backward pass produced. Returns the relative error per tensor, in layout order.
  /// `afterBackward` may alter the gradients first (the tests use it to plant a mistake).
  public static func wholeModel(
    _ model: GPT, inputs: [Int32], targets: [Int32], B: Int, T: Int, epsilon: Float = 1e-2, samplesPerTensor: Int = 4,
    afterBackward: (GPT) -> Void = { _ in }
  ) -> [(name: String, relativeError: Double)] {
    model.zeroGradients()
    model.forward(inputs: inputs, targets: targets, B: B, T: T)
    model.backward()
    afterBackward(model)
    return parameters(
      model.parameters, gradients: model.gradients, epsilon: epsilon, samplesPerTensor: samplesPerTensor
    ) { Double(model.forward(inputs: inputs, targets: targets, B: B, T: T)!) }
  }

  /// The check of `wholeModel` for any buffer of parameters, such as chapter 09's adapters:
  /// `gradients` must hold the backward's gradient of `loss()` at the current `weights`.
  /// Returns the relative error per tensor, in layout order.
  public static func parameters(
    _ weights: ParameterBuffer, gradients: ParameterBuffer, epsilon: Float = 1e-2, samplesPerTensor: Int = 4,
    loss: () -> Double
  ) -> [(name: String, relativeError: Double)] {
    weights.layout.entries.map { e in
      var (worst, scale) = (0.0, 0.0)
      for k in 0..<samplesPerTensor {
        let i = e.offset + (k * 7919) % e.count  // spread over the tensor
        let saved = weights.base[i]
        weights.base[i] = saved + epsilon
        let plus = loss()
        weights.base[i] = saved - epsilon
        let minus = loss()
        weights.base[i] = saved
        let numeric = (plus - minus) / (2 * Double(epsilon))
        worst = max(worst, abs(numeric - Double(gradients.base[i])))
        scale = max(scale, abs(numeric))
      }
      return (e.name, worst / max(scale, 1e-3))
    }
  }
}
