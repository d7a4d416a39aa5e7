// Chapter 05 introduces this file: the whole GPT, forward and backward.

import Foundation

/// A GPT-2: token and position embeddings, `L` pre-norm transformer blocks, a final
/// LayerNorm and an output layer tied to the token embedding.
///
/// ```
/// x = wte[tokens] + wpe[0..<T]                     (B, T, C)
/// for each block:
///   x = x + proj(attention(qkv(ln1(x))))           causal, NH heads
///   x = x + fcProj(gelu(fc(ln2(x))))               C -> 4C -> C
/// logits = lnF(x) · wteᵀ                           (B, T, V)
/// loss = crossEntropy(logits, targets)
/// ```
/// `forward` keeps every intermediate (`Activations`); `backward` is the forward read in
/// reverse and *adds* into `gradients`, which `zeroGradients()` clears.
public final class GPT {
  public let config: GPTConfig
  public let layout: ParameterLayout
  public let parameters: ParameterBuffer
  public let gradients: ParameterBuffer
  /// The sinusoidal table when `config.positions == .sinusoidal` (not a parameter).
  let fixedPositions: Tensor?
  var activations: Activations?
  var scratch: BackwardScratch?
  var inputs: [Int32] = []
  var targets: [Int32] = []
  var counted = 0
  var training = false
  /// Dropout's generator (only used when `config.dropout > 0` and training).
  public var rng: SplitMix64

  // ANCHOR: gpt-init
  /// A model with GPT-2's initialisation: weights ~ N(0, 0.02), the two projections that
  /// write into the residual stream scaled by 1/√(2L) (so the stream's variance does not grow
  /// with depth), biases 0, LayerNorm gains 1.
  public init(_ config: GPTConfig, seed: UInt64 = 1337) {
    self.config = config
    layout = ParameterLayout(config)
    parameters = ParameterBuffer(layout)
    gradients = ParameterBuffer(layout)
    rng = SplitMix64(seed: seed &+ 1)
    fixedPositions =
      config.positions == .sinusoidal ? Embedding.sinusoidal(T: config.contextLength, C: config.channels) : nil
    var init_ = SplitMix64(seed: seed)
    let residualScale = 1 / Float(2 * config.layerCount).squareRoot()
    for e in layout.entries {
      let p = parameters.base + e.offset
      if e.name.hasSuffix("ln_1.weight") || e.name.hasSuffix("ln_2.weight") || e.name.hasSuffix("ln_f.weight") {
        p.update(repeating: 1, count: e.count)
      } else if e.name.hasSuffix(".bias") {
        p.update(repeating: 0, count: e.count)
      } else {
        let std: Float = e.name.hasSuffix("c_proj.weight") ? 0.02 * residualScale : 0.02
        for i in 0..<e.count { p[i] = std * init_.nextNormal() }
      }
    }
  }
  // ANCHOR_END: gpt-init

  public var parameterCount: Int { layout.count }

  /// The weights of block `l`, or their gradients.
  struct Block {
    var ln1w, ln1b, qkvw, qkvb, projw, projb, ln2w, ln2b, fcw, fcb, fcProjw, fcProjb: UnsafeMutablePointer<Float>
    init(_ p: ParameterBuffer, _ l: Int) {
      let h = "transformer.h.\(l)."
      (ln1w, ln1b) = (p[h + "ln_1.weight"], p[h + "ln_1.bias"])
      (qkvw, qkvb) = (p[h + "attn.c_attn.weight"], p[h + "attn.c_attn.bias"])
      (projw, projb) = (p[h + "attn.c_proj.weight"], p[h + "attn.c_proj.bias"])
      (ln2w, ln2b) = (p[h + "ln_2.weight"], p[h + "ln_2.bias"])
      (fcw, fcb) = (p[h + "mlp.c_fc.weight"], p[h + "mlp.c_fc.bias"])
      (fcProjw, fcProjb) = (p[h + "mlp.c_proj.weight"], p[h + "mlp.c_proj.bias"])
    }

    /// The four matrices, stored `(rows, columns)`: qkv `(C, 3C)`, attention projection
    /// `(C, C)`, MLP up `(C, 4C)` and MLP down `(4C, C)`.
    func matrices(C: Int) -> [(weight: UnsafeMutablePointer<Float>, rows: Int, columns: Int)] {
      [(qkvw, C, 3 * C), (projw, C, C), (fcw, C, 4 * C), (fcProjw, 4 * C, C)]
    }
  }

  public func zeroGradients() { gradients.zero() }

  /// Bytes of activation memory for the current batch shape.
  public var activationBytes: Int { (activations?.bytes ?? 0) + (scratch?.bytes ?? 0) }

  /// The logits `(B, T, V)` of the last forward without targets (probabilities with targets).
  public var logits: UnsafePointer<Float> { UnsafePointer(activations!.logits) }
}

/// Reusable gradient buffers for one batch shape: the backward needs each only for one
/// layer at a time.
final class BackwardScratch {
  let dlogits, dresidual, dln, dbranch, datty, dqkv, dfch, dfchGelu: UnsafeMutablePointer<Float>
  let bytes: Int
  private let arena: UnsafeMutablePointer<Float>

  init(_ config: GPTConfig, N: Int) {
    let (C, V) = (config.channels, config.vocabularySize)
    let sizes = [N * V, N * C, N * C, N * C, N * C, N * 3 * C, N * 4 * C, N * 4 * C]
    arena = .allocateAligned(capacity: sizes.reduce(0, +))
    bytes = sizes.reduce(0, +) * 4
    var offsets: [UnsafeMutablePointer<Float>] = []
    var used = 0
    for s in sizes {
      offsets.append(arena + used)
      used += s
    }
    (dlogits, dresidual, dln, dbranch) = (offsets[0], offsets[1], offsets[2], offsets[3])
    (datty, dqkv, dfch, dfchGelu) = (offsets[4], offsets[5], offsets[6], offsets[7])
  }

  deinit { arena.deallocate() }
}
