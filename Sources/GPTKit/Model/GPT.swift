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
  /// Typed views of `parameters` and of `gradients`, by layer.
  public let weights: GPTWeights
  public let weightGradients: GPTWeights
  /// When true, `backward` computes no gradient for the model's own weights, only the ones
  /// that flow back through them to the adapters (chapter 09's LoRA trains those alone).
  public var weightsFrozen = false
  /// Per block, what is added to its linear layers' outputs (chapter 09); none by default.
  public var adapters: [BlockAdapters]
  /// Dropout's generator (only used when `config.dropout > 0` and training).
  public var rng: SplitMix64
  /// The position table `(T, C)`: the learned `wpe`, or the fixed sinusoids.
  let positions: UnsafeMutablePointer<Float>
  private let sinusoids: Arena?
  /// A separate output layer `(V, C)`, when a loaded model has one (`untie(head:)`).
  private var untiedHead: Arena?
  /// The last forward's inputs, targets and memory, for `backward`.
  var inputs: [Int32] = []
  var targets: [Int32] = []
  var counted = 0
  var dropoutRate: Float = 0
  var activations: Activations?
  var activationArena: Arena?
  var scratch: BackwardScratch?
  var scratchArena: Arena?

  // ANCHOR: gpt-init
  /// A model with GPT-2's initialisation: weights ~ N(0, 0.02), the two projections that
  /// write into the residual stream scaled by 1/√(2L) (so the stream's variance does not grow
  /// with depth), biases 0, LayerNorm gains 1.
  public convenience init(_ config: GPTConfig, seed: UInt64 = 1337) {
    self.init(zeroed: config, seed: seed)
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

  /// A model of `config` whose weights are all zero, for a loader to fill: the random draws
  /// of GPT-2's initialisation take seconds at GPT-2's size. `seed` seeds dropout's generator.
  init(zeroed config: GPTConfig, seed: UInt64 = 1337) {
    self.config = config
    layout = ParameterLayout(config)
    parameters = ParameterBuffer(layout)
    gradients = ParameterBuffer(layout)
    rng = SplitMix64(seed: seed &+ 1)
    weights = GPTWeights(parameters, layers: config.layerCount)
    weightGradients = GPTWeights(gradients, layers: config.layerCount)
    adapters = Array(repeating: BlockAdapters(), count: config.layerCount)
    if let wpe = weights.wpe {
      (positions, sinusoids) = (wpe, nil)
    } else {
      let table = Embedding.sinusoidal(T: config.contextLength, C: config.channels)
      let arena = Arena(capacity: table.count)
      arena.base.update(from: table.storage, count: table.count)
      (positions, sinusoids) = (arena.base, arena)
    }
  }

  public var parameterCount: Int { layout.count }

  /// The output layer `(V, C)`, `logits = lnF(x) · headᵀ`: `wte` itself (tied, as GPT-2 and
  /// every model trained here), or a separate `lm_head` that a loaded Hugging Face model brings.
  public var head: UnsafeMutablePointer<Float> { untiedHead?.base ?? weights.wte }
  public var isTied: Bool { untiedHead == nil }

  /// Gives the model its own output layer `(V, C)`, a copy of `head`. Such a model runs,
  /// generates and trains adapters on a frozen base; its own weights do not train (the
  /// gradient buffer has no room for a second `(V, C)` matrix).
  public func untie(head: UnsafePointer<Float>) {
    let count = config.vocabularySize * config.channels
    let arena = Arena(capacity: count)
    arena.base.update(from: head, count: count)
    untiedHead = arena
  }

  /// A new model with this one's weights (and dropout generator), without its adapters.
  public func copy() -> GPT {
    let twin = GPT(zeroed: config)  // every weight is overwritten: no need to draw them
    twin.rng = rng
    twin.parameters.base.update(from: parameters.base, count: parameterCount)
    if !isTied { twin.untie(head: head) }
    return twin
  }

  public func zeroGradients() { gradients.zero() }

  /// Bytes of activation memory for the current batch shape.
  public var activationBytes: Int { ((activationArena?.capacity ?? 0) + (scratchArena?.capacity ?? 0)) * 4 }

  /// The logits `(B, T, V)` of the last forward without targets (probabilities with targets).
  public var logits: UnsafePointer<Float> { UnsafePointer(activations!.logits) }

  /// Checks a forward's inputs and makes room for its activations: memory is kept while the
  /// batch shape stays the same, and reused when it shrinks.
  ///
  /// Generation without a cache runs the model on a prefix one token longer each time. Fresh
  /// memory for every length would cost a round of page faults every time, so new memory is
  /// sized for the next power of two of `T` (at most the context length).
  func prepare(inputs: [Int32], targets: [Int32]?, B: Int, T: Int, training: Bool) -> Activations {
    let (V, maxT) = (config.vocabularySize, config.contextLength)
    precondition(T <= maxT, "sequence length \(T) exceeds the context length \(maxT)")
    precondition(inputs.count == B * T && (targets?.count ?? B * T) == B * T, "inputs and targets must be (B, T)")
    precondition(inputs.allSatisfy { $0 >= 0 && Int($0) < V }, "token ids must be in 0..<\(V)")
    (self.inputs, self.targets) = (inputs, targets ?? [])
    dropoutRate = training ? config.dropout : 0
    if let activations, activations.B == B, activations.T == T { return activations }
    var roomy = 1
    while roomy < T { roomy *= 2 }
    let config = self.config
    let roomier = Carver.count { Activations(config, B: B, T: max(T, min(roomy, maxT)), &$0) }
    let (planned, arena) = Arena.carve(
      { Activations(config, B: B, T: T, &$0) }, reusing: activationArena, roomier: roomier)
    (activations, activationArena, scratch) = (planned, arena, nil)
    return planned
  }

  /// The backward's gradient buffers for the last forward's shape.
  func prepareScratch(N: Int) -> BackwardScratch {
    if let scratch { return scratch }
    let config = self.config
    let (planned, arena) = Arena.carve({ BackwardScratch(config, N: N, &$0) }, reusing: scratchArena)
    (scratch, scratchArena) = (planned, arena)
    return planned
  }
}
