// Reference solutions for chapter 06's exercises. Try the exercises first!

import Exercises
import Foundation
import GPTKit

public enum Chapter06 {
  public static func expectedInitialLoss(vocabularySize V: Int) -> Float { log(Float(V)) }

  public static func overfit(_ model: GPT, x: [Int32], y: [Int32], B: Int, T: Int, steps: Int, lr: Float) -> [Float] {
    let adam = AdamW(model.layout)
    return (0..<steps).map { _ in
      model.zeroGradients()
      let loss = model.forward(inputs: x, targets: y, B: B, T: T)!
      model.backward()
      adam.update(model.parameters, gradients: model.gradients, lr: lr)
      return loss
    }
  }

  public static func classify(losses: [Float]) -> RunVerdict {
    guard let first = losses.first, let last = losses.last, !losses.contains(where: { !$0.isFinite }) else {
      return .diverged
    }
    if last > first + 0.5 || losses.max()! > 2 * first { return .diverged }  // a clear rise, not noise
    return first - last < 0.1 * first ? .tooSlow : .healthy
  }

  public static func overfittingStart(train: [Float], validation: [Float]) -> Int? {
    guard let best = validation.indices.min(by: { validation[$0] < validation[$1] }), best < validation.count - 1 else {
      return nil
    }
    return train.last! < train[best] ? best : nil
  }

  public static func embeddingCosine(_ model: GPT, _ a: Int, _ b: Int) -> Float {
    let wte = model.parameters.tensor("transformer.wte.weight")
    let C = wte.shape[1]
    return Projection.cosineSimilarity(wte.storage[(a * C)..<(a * C + C)], wte.storage[(b * C)..<(b * C + C)])
  }
}

extension Chapter06 {
  public static func adamWUpdate(
    _ p: inout [Float], gradient g: [Float], m: inout [Float], v: inout [Float], step t: Int, lr: Float,
    weightDecay: Float, beta1: Float, beta2: Float, epsilon: Float
  ) {
    let (correction1, correction2) = (1 - pow(beta1, Float(t)), 1 - pow(beta2, Float(t)))
    for i in p.indices {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i]
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
      let (mHat, vHat) = (m[i] / correction1, v[i] / correction2)
      p[i] = p[i] - lr * mHat / (vHat.squareRoot() + epsilon)
      p[i] *= 1 - lr * weightDecay  // decoupled weight decay; λ = 0 leaves p as it is
    }
  }

  public static func learningRate(step: Int, maxLR: Float, minLR: Float, warmupSteps: Int, totalSteps: Int) -> Float {
    if step < warmupSteps { return maxLR * Float(step + 1) / Float(warmupSteps) }
    let progress = min(1, Float(step - warmupSteps) / Float(max(1, totalSteps - warmupSteps)))
    return minLR + (maxLR - minLR) * (1 + cos(Float.pi * progress)) / 2
  }
}
