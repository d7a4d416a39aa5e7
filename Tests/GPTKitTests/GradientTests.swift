import Foundation
import Testing

@testable import GPTKit

@Suite("00 tensors: every backward passes a finite-difference gradient check")
struct GradientTests {
  var rng = SplitMix64(seed: 21)

  @Test mutating func gelu() {
    let x = Tensor.randn([4, 8], std: 2, rng: &rng)
    let report = GradientCheck.check(x, forward: GELU.forward) { dOut in
      var dX = Tensor(shape: x.shape)
      GELU.backward(dOut, input: x, into: &dX)
      return dX
    }
    #expect(report.passes(), "\(report)")
  }

  @Test mutating func softmax() {
    let x = Tensor.randn([3, 6], rng: &rng)
    let report = GradientCheck.check(x, forward: Softmax.forward) { dOut in
      var dX = Tensor(shape: x.shape)
      Softmax.backward(dOut, output: Softmax.forward(x), into: &dX)
      return dX
    }
    #expect(report.passes(), "\(report)")
  }

  @Test mutating func layerNormInputWeightAndBias() {
    let x = Tensor.randn([3, 8], rng: &rng)
    let w = Tensor.randn([8], rng: &rng)
    let b = Tensor.randn([8], rng: &rng)
    func grads(_ dOut: Tensor) -> (Tensor, Tensor, Tensor) {
      let (_, mean, rstd) = LayerNorm.forward(x, weight: w, bias: b)
      var (dX, dW, dB) = (Tensor(shape: x.shape), Tensor(shape: [8]), Tensor(shape: [8]))
      LayerNorm.backward(dOut, input: x, weight: w, mean: mean, rstd: rstd, dX: &dX, dWeight: &dW, dBias: &dB)
      return (dX, dW, dB)
    }
    let reports = [
      GradientCheck.check(x, forward: { LayerNorm.forward($0, weight: w, bias: b).out }) { grads($0).0 },
      GradientCheck.check(w, forward: { LayerNorm.forward(x, weight: $0, bias: b).out }) { grads($0).1 },
      GradientCheck.check(b, forward: { LayerNorm.forward(x, weight: w, bias: $0).out }) { grads($0).2 },
    ]
    for report in reports { #expect(report.passes(), "\(report)") }
  }

  @Test mutating func crossEntropyWithAnIgnoredPosition() {
    let logits = Tensor.randn([4, 5], rng: &rng)
    let targets: [Int32] = [1, CrossEntropy.ignore, 4, 0]
    let report = GradientCheck.check(
      logits, forward: { Tensor(shape: [1], storage: [CrossEntropy.forward($0, targets: targets).loss]) }
    ) { dOut in
      let (_, probs, counted) = CrossEntropy.forward(logits, targets: targets)
      var dLogits = Tensor(shape: logits.shape)
      CrossEntropy.backward(probs: probs, targets: targets, counted: counted, dLoss: dOut.storage[0], into: &dLogits)
      #expect(dLogits.storage[5..<10].allSatisfy { $0 == 0 }, "an ignored row gets no gradient")
      return dLogits
    }
    #expect(report.passes(), "\(report)")
  }

  @Test mutating func linearInputWeightAndBias() {
    let (N, C, OC) = (5, 4, 3)
    let x = Tensor.randn([N, C], rng: &rng)
    let w = Tensor.randn([C, OC], rng: &rng)
    let b = Tensor.randn([OC], rng: &rng)
    func forward(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Tensor {
      var out = Tensor(shape: [N, OC])
      out.withMutablePointer { o in
        x.withPointer { xp in
          w.withPointer { wp in
            b.withPointer { Linear.forward(out: o, inp: xp, weight: wp, bias: $0, N: N, C: C, OC: OC) }
          }
        }
      }
      return out
    }
    func grads(_ dOut: Tensor) -> [Tensor] {
      var (dX, dW, dB) = (Tensor(shape: x.shape), Tensor(shape: w.shape), Tensor(shape: b.shape))
      dX.withMutablePointer { dx in
        dW.withMutablePointer { dw in
          dB.withMutablePointer { db in
            dOut.withPointer { dy in
              x.withPointer { xp in
                w.withPointer {
                  Linear.backward(dInp: dx, dWeight: dw, dBias: db, dOut: dy, inp: xp, weight: $0, N: N, C: C, OC: OC)
                }
              }
            }
          }
        }
      }
      return [dX, dW, dB]
    }
    let reports = [
      GradientCheck.check(x, forward: { forward($0, w, b) }) { grads($0)[0] },
      GradientCheck.check(w, forward: { forward(x, $0, b) }) { grads($0)[1] },
      GradientCheck.check(b, forward: { forward(x, w, $0) }) { grads($0)[2] },
    ]
    for report in reports { #expect(report.passes(), "\(report)") }
  }

  @Test mutating func theCheckerRejectsAWrongBackward() {
    let x = Tensor.randn([4, 8], std: 2, rng: &rng)
    // A classic mistake: forgetting the 0.5 of gelu's product rule on the tanh term.
    let report = GradientCheck.check(x, forward: GELU.forward) { dOut in
      var dX = Tensor(shape: x.shape)
      for i in x.storage.indices {
        let v = x.storage[i]
        let t = tanh(GELU.scale * (v + GELU.cubic * v * v * v))
        dX.storage[i] = (0.5 * (1 + t) + v * (1 - t * t) * GELU.scale * (1 + 3 * GELU.cubic * v * v)) * dOut.storage[i]
      }
      return dX
    }
    #expect(!report.passes(), "\(report)")
  }
}
