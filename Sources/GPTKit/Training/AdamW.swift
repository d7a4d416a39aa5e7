// Chapter 06 introduces this file: the optimiser.

import Foundation

/// AdamW (Loshchilov & Hutter, 2019): Adam's per-parameter step sizes, with weight decay
/// applied directly to the weights instead of being mixed into the gradient.
///
/// For every parameter `p` with gradient `g`, at step `t` (from 1):
/// ```
/// m = β1·m + (1 - β1)·g                running mean of gradients (momentum)
/// v = β2·v + (1 - β2)·g²               running mean of squared gradients
/// p -= lr · ( m/(1 - β1^t) / (√(v/(1 - β2^t)) + ε)  +  λ·p )
/// ```
/// Dividing by `√v` gives each parameter its own step size: one that always gets large
/// gradients takes small steps, a rarely-touched one takes full-size steps.
///
/// Weight decay (`λ·p`) is applied only to the weight *matrices* of the blocks. Biases and
/// LayerNorm gains set offsets and scales, and pulling them toward 0 only fights the model.
/// The embeddings are left alone too. A rare token's row is touched in few batches, so decay
/// applied at every step would shrink it toward nothing between visits. And here `wte` is
/// also the output layer, whose rows must keep their size to give confident predictions.
public final class AdamW {
  public var beta1: Float = 0.9
  public var beta2: Float = 0.95
  public var epsilon: Float = 1e-8
  public var weightDecay: Float
  /// First and second moments, in the parameters' own layout.
  public let m: ParameterBuffer
  public let v: ParameterBuffer
  /// Steps taken so far.
  public internal(set) var step = 0
  let layout: ParameterLayout
  /// The update's pieces for the threads: at most 16K parameters of one tensor each.
  let pieces: [Piece]
  struct Piece {
    let start: Int, end: Int
    let decays: Bool
  }
  /// One tensor's update, done by someone else's code instead of the loop below: chapter 06's
  /// `--mine` puts the learner's exercise here. It is called once per parameter tensor, in
  /// layout order, with that tensor's slices and its weight decay (0 for tensors not decayed).
  public var tensorUpdate: ((_ tensor: TensorSlices, _ step: Int, _ lr: Float, _ weightDecay: Float) -> Void)?

  /// One parameter tensor's weights, gradient and moments, `(count)` each, in place.
  public struct TensorSlices {
    public let name: String
    public let p, g, m, v: UnsafeMutableBufferPointer<Float>
  }

  typealias Vector = SIMD16<Float>

  public init(_ layout: ParameterLayout, weightDecay: Float = 0.1) {
    self.layout = layout
    self.weightDecay = weightDecay
    m = ParameterBuffer(layout)
    v = ParameterBuffer(layout)
    let most = 1 << 14
    pieces = layout.entries.flatMap { e in
      stride(from: e.offset, to: e.offset + e.count, by: most).map {
        Piece(start: $0, end: min($0 + most, e.offset + e.count), decays: AdamW.decays(e))
      }
    }
  }

  /// Whether a parameter gets weight decay: the blocks' linear weight matrices only.
  public static func decays(_ entry: ParameterLayout.Entry) -> Bool {
    entry.shape.count == 2 && entry.name.hasPrefix("transformer.h.")
  }

  // ANCHOR: adamw-step
  /// One update of every parameter from its gradient, at learning rate `lr`.
  public func update(_ parameters: ParameterBuffer, gradients: ParameterBuffer, lr: Float) {
    step += 1
    if let tensorUpdate { return update(parameters, gradients: gradients, lr: lr, with: tensorUpdate) }
    let correction1 = 1 - pow(beta1, Float(step))
    let correction2 = 1 - pow(beta2, Float(step))
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    let (p, g, m, v) = (parameters.base, gradients.base, self.m.base, self.v.base)
    // Tensor by tensor, sixteen parameters at a time (a tensor's last block may be shorter):
    // every lane does exactly the scalar arithmetic of the formulas, so the result does not
    // depend on the width. A decayed tensor's weights then shrink in the same pass
    // (decoupled weight decay: the weight itself shrinks, not its gradient); the others are
    // multiplied by exactly 1.
    let chunks = layout.count < 1 << 16 ? 1 : Parallel.piecesPerLoop  // a tiny model's is not worth a thread
    Parallel.forEachChunk(pieces.count, chunks: chunks) { _, range in
      for piece in pieces[range] {
        let shrink = Vector(repeating: piece.decays ? 1 - lr * weightDecay : 1)
        // sixteen parameters from `i` (`lanes` of them: fewer at the end of a tensor)
        @inline(__always) func updateBlock(at i: Int, lanes: Int) {
          let gi = Vector(loading: g + i, lanes: lanes)
          let mi = b1 * Vector(loading: m + i, lanes: lanes) + (1 - b1) * gi
          let vi = b2 * Vector(loading: v + i, lanes: lanes) + (1 - b2) * gi * gi
          let mHat = mi / correction1
          let vHat = vi / correction2
          let pi = (Vector(loading: p + i, lanes: lanes) - lr * mHat / (FastMath.squareRoot(vHat) + eps)) * shrink
          mi.store(to: m + i, lanes: lanes)
          vi.store(to: v + i, lanes: lanes)
          pi.store(to: p + i, lanes: lanes)
        }
        var i = piece.start
        while i + 16 <= piece.end {  // whole vectors, a loop the compiler makes straight vector code
          updateBlock(at: i, lanes: 16)
          i += 16
        }
        if i < piece.end { updateBlock(at: i, lanes: piece.end - i) }
      }
    }
  }
  // ANCHOR_END: adamw-step

  /// The update done tensor by tensor by `tensorUpdate`.
  func update(
    _ parameters: ParameterBuffer, gradients: ParameterBuffer, lr: Float,
    with tensorUpdate: (TensorSlices, Int, Float, Float) -> Void
  ) {
    for e in layout.entries {
      let slice = { (base: UnsafeMutablePointer<Float>) in
        UnsafeMutableBufferPointer(start: base + e.offset, count: e.count)
      }
      let tensor = TensorSlices(
        name: e.name, p: slice(parameters.base), g: slice(gradients.base), m: slice(m.base), v: slice(v.base))
      tensorUpdate(tensor, step, lr, AdamW.decays(e) ? weightDecay : 0)
    }
  }
}
