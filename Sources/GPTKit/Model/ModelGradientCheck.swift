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
    func loss() -> Double { Double(model.forward(inputs: inputs, targets: targets, B: B, T: T)!) }
    return model.layout.entries.map { e in
      var (worst, scale) = (0.0, 0.0)
      for k in 0..<samplesPerTensor {
        let i = e.offset + (k * 7919) % e.count  // spread over the tensor
        let saved = model.parameters.base[i]
        model.parameters.base[i] = saved + epsilon
        let plus = loss()
        model.parameters.base[i] = saved - epsilon
        let minus = loss()
        model.parameters.base[i] = saved
        let numeric = (plus - minus) / (2 * Double(epsilon))
        worst = max(worst, abs(numeric - Double(model.gradients.base[i])))
        scale = max(scale, abs(numeric))
      }
      return (e.name, worst / max(scale, 1e-3))
    }
  }
}
