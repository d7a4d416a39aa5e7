// Chapter 05 introduces this file: the memory a forward pass keeps for its backward.

/// Every intermediate the backward pass needs, for one batch shape `(B, T)`, in one
/// allocation. Per layer: the LayerNorm outputs and statistics, the fused QKV, the attention
/// probabilities and output, the residual stream after each half of the block and the MLP's
/// hidden layer before and after GELU.
final class Activations {
  let B: Int, T: Int
  private let arena: Arena

  // whole model
  let encoded: UnsafeMutablePointer<Float>  // (B, T, C) embeddings
  let lnf, lnfMean, lnfRstd: UnsafeMutablePointer<Float>
  let logits: UnsafeMutablePointer<Float>  // (B, T, V), softmax-ed in place into probabilities
  let losses: UnsafeMutablePointer<Float>  // (B, T)
  // per layer
  var ln1: [UnsafeMutablePointer<Float>] = [], ln1Mean: [UnsafeMutablePointer<Float>] = [],
    ln1Rstd: [UnsafeMutablePointer<Float>] = []
  var qkv: [UnsafeMutablePointer<Float>] = []  // (B, T, 3C)
  var att: [UnsafeMutablePointer<Float>] = []  // (B, NH, T, T)
  var atty: [UnsafeMutablePointer<Float>] = []  // (B, T, C)
  var residual2: [UnsafeMutablePointer<Float>] = []  // (B, T, C) after attention
  var ln2: [UnsafeMutablePointer<Float>] = [], ln2Mean: [UnsafeMutablePointer<Float>] = [],
    ln2Rstd: [UnsafeMutablePointer<Float>] = []
  var fch: [UnsafeMutablePointer<Float>] = []  // (B, T, 4C) before GELU
  var fchGelu: [UnsafeMutablePointer<Float>] = []  // (B, T, 4C) after GELU
  var residual3: [UnsafeMutablePointer<Float>] = []  // (B, T, C) after the MLP
  var dropoutMasks: [UnsafeMutablePointer<Float>] = []  // (B, T, C) each, when dropout > 0

  /// The floats the layout for `(B, T)` takes.
  static func capacity(_ config: GPTConfig, B: Int, T: Int) -> Int {
    let (C, L, NH, V) = (config.channels, config.layerCount, config.headCount, config.vocabularySize)
    let N = B * T
    let perLayer = N * (C + 2 + 3 * C + NH * T + C + C + C + 2 + 4 * C + 4 * C + C)
    let masks = config.dropout > 0 ? (1 + 2 * L) * N * C : 0
    return N * C + N * C + 2 * N + N * V + N + L * perLayer + masks
  }

  /// The layout for `(B, T)`, in `previous`'s memory when that is large enough.
  ///
  /// Generation without a cache runs the model on a prefix one token longer each time. Fresh
  /// memory for every length would cost a round of page faults every time, so new memory is
  /// sized for the next power of two of `T` (at most the context length), and shorter
  /// prefixes reuse it.
  init(_ config: GPTConfig, B: Int, T: Int, reusing previous: Activations? = nil) {
    (self.B, self.T) = (B, T)
    let (C, L, NH, V) = (config.channels, config.layerCount, config.headCount, config.vocabularySize)
    let N = B * T
    let capacity = Self.capacity(config, B: B, T: T)
    if let previous, previous.arena.capacity >= capacity {
      arena = previous.arena
    } else {
      var roomy = 1
      while roomy < T { roomy *= 2 }
      arena = Arena(capacity: Self.capacity(config, B: B, T: max(T, min(roomy, config.contextLength))))
    }
    let arena = self.arena.base
    var used = 0
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
      defer { used += count }
      return arena + used
    }
    encoded = take(N * C)
    for _ in 0..<L {
      ln1.append(take(N * C)); ln1Mean.append(take(N)); ln1Rstd.append(take(N))
      qkv.append(take(N * 3 * C)); att.append(take(N * NH * T)); atty.append(take(N * C))
      residual2.append(take(N * C))
      ln2.append(take(N * C)); ln2Mean.append(take(N)); ln2Rstd.append(take(N))
      fch.append(take(N * 4 * C)); fchGelu.append(take(N * 4 * C)); residual3.append(take(N * C))
    }
    lnf = take(N * C); lnfMean = take(N); lnfRstd = take(N)
    logits = take(N * V)
    losses = take(N)
    if config.dropout > 0 { for _ in 0..<(1 + 2 * L) { dropoutMasks.append(take(N * C)) } }
    precondition(used == capacity && used <= self.arena.capacity, "activation arena miscounted")
  }

  /// Bytes held, for the memory report.
  var bytes: Int { arena.capacity * 4 }
}

/// One block of floats, freed when the last layout using it goes.
final class Arena {
  let base: UnsafeMutablePointer<Float>
  let capacity: Int

  init(capacity: Int) {
    (base, self.capacity) = (.allocateAligned(capacity: max(1, capacity)), capacity)
  }

  deinit { base.deallocate() }
}
