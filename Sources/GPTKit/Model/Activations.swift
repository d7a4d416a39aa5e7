// Chapter 05 introduces this file: the memory a forward pass keeps for its backward.

/// Every intermediate the backward pass needs, for one batch shape `(B, T)` (`N = B*T`
/// positions), in forward order. A field of shape `(L, ...)` holds one buffer per layer:
/// layer `l`'s is `field[l]`. Dropout masks take no memory when the model has no dropout.
///
/// Three intermediates are not kept per layer, because the backward can remake them exactly
/// from what is kept, for much less time than the memory costs: the LayerNorm outputs (from
/// their inputs and statistics), the GELU output (from its input) and the attention
/// probabilities (from `qkv`). The first two have one buffer each, which the layer being
/// computed uses; the probabilities live only in `Attention`'s per-thread scratch. At config B
/// that keeps 1.4 GB of a training step's 3.5 GB out of memory.
struct Activations {
  let B: Int, T: Int
  let encoded: UnsafeMutablePointer<Float>  // (B, T, C)  x = wte[tokens] + positions
  let encodedMask: UnsafeMutablePointer<Float>  // (B, T, C)  its dropout mask
  let ln: UnsafeMutablePointer<Float>  // (B, T, C): the current layer's ln1 or ln2 output
  let ln1Stats: PerLayer  // (L, 2, B, T): mean, then 1/std
  let qkv: PerLayer  // (L, B, T, 3*C)
  let atty: PerLayer  // (L, B, T, C): attention output, heads side by side
  let attnMask: PerLayer  // (L, B, T, C): dropout mask of the attention branch
  let residual2: PerLayer  // (L, B, T, C): the stream after attention
  let ln2Stats: PerLayer  // (L, 2, B, T)
  let fch: PerLayer  // (L, B, T, 4*C): MLP hidden layer before GELU
  let fchGelu: UnsafeMutablePointer<Float>  // (B, T, 4*C): the current layer's GELU output
  let mlpMask: PerLayer  // (L, B, T, C): dropout mask of the MLP branch
  let residual3: PerLayer  // (L, B, T, C): the stream after the MLP, block l's output
  let lnF: UnsafeMutablePointer<Float>  // (B, T, C)
  let lnFStats: UnsafeMutablePointer<Float>  // (2, B, T)
  let logits: UnsafeMutablePointer<Float>  // (B, T, V), softmax-ed in place into probabilities
  let losses: UnsafeMutablePointer<Float>  // (B, T)

  /// The memory plan: every buffer, in order, taken from `memory`.
  init(_ config: GPTConfig, B: Int, T: Int, _ memory: inout Carver) {
    (self.B, self.T) = (B, T)
    let (C, L, V, N) = (config.channels, config.layerCount, config.vocabularySize, B * T)
    let masked = config.dropout > 0 ? N * C : 0
    encoded = memory.take(N * C)
    encodedMask = memory.take(masked)
    ln = memory.take(N * C)
    ln1Stats = memory.take(L, 2 * N)
    qkv = memory.take(L, N * 3 * C)
    atty = memory.take(L, N * C)
    attnMask = memory.take(L, masked)
    residual2 = memory.take(L, N * C)
    ln2Stats = memory.take(L, 2 * N)
    fch = memory.take(L, N * 4 * C)
    fchGelu = memory.take(N * 4 * C)
    mlpMask = memory.take(L, masked)
    residual3 = memory.take(L, N * C)
    lnF = memory.take(N * C)
    lnFStats = memory.take(2 * N)
    logits = memory.take(N * V)
    losses = memory.take(N)
  }

  /// The input of block `l`: the embeddings, or the previous block's output.
  func blockInput(_ l: Int) -> UnsafeMutablePointer<Float> { l == 0 ? encoded : residual3[l - 1] }
}

/// The gradients the backward pass passes from step to step, for one batch shape. The
/// stream's gradient lives across layers; the rest serve one layer at a time.
struct BackwardScratch {
  let dLogits: UnsafeMutablePointer<Float>  // (B, T, V)
  let dResidual: UnsafeMutablePointer<Float>  // (B, T, C): dLoss/dx for the stream x
  let dBranch: UnsafeMutablePointer<Float>  // (B, T, C): a branch's output, through its dropout
  /// `(B, T, C)`: the final LayerNorm's output gradient, needed before any branch's: `dBranch`'s memory.
  var dLnF: UnsafeMutablePointer<Float> { dBranch }
  let dFch: UnsafeMutablePointer<Float>  // (B, T, 4*C): GELU's slopes, then its input's gradient
  let dFchGelu: UnsafeMutablePointer<Float>  // (B, T, 4*C)
  let dLn2: UnsafeMutablePointer<Float>  // (B, T, C)
  let dAtty: UnsafeMutablePointer<Float>  // (B, T, C)
  let dQKV: UnsafeMutablePointer<Float>  // (B, T, 3*C)
  let dLn1: UnsafeMutablePointer<Float>  // (B, T, C)
  private let (N, C, V): (Int, Int, Int)

  init(_ config: GPTConfig, N: Int, _ memory: inout Carver) {
    (self.N, C, V) = (N, config.channels, config.vocabularySize)
    (dLogits, dResidual) = (memory.take(N * V), memory.take(N * C))  // one run: see clearStream
    dBranch = memory.take(N * C)
    // The one-layer buffers are never cleared: each is written whole before it is read, dFch
    // by GELU.remake, dQKV by Attention.backward and the rest by the first Linear.backward
    // into them (accumulateInput: false); only then do the adapters add to them.
    dFch = memory.take(N * 4 * C)
    (dFchGelu, dLn2) = (memory.take(N * 4 * C), memory.take(N * C))
    (dAtty, dQKV, dLn1) = (memory.take(N * C), memory.take(N * 3 * C), memory.take(N * C))
  }

  /// Zeroes `dLogits` and `dResidual`, which the backward's kernels add into.
  func clearStream() { Elementwise.zero(dLogits, count: N * (V + C)) }
}

/// `L` buffers of one shape side by side, `(L, ...)`: layer `l`'s is `self[l]`.
struct PerLayer {
  let base: UnsafeMutablePointer<Float>
  let stride: Int
  subscript(_ l: Int) -> UnsafeMutablePointer<Float> { base + l * stride }
}

/// Hands out consecutive runs of floats from one arena, or, in its counting pass, only
/// counts them. A memory plan runs once with each, so the arena's size and the way it is
/// carved up come from the same lines and cannot disagree.
struct Carver {
  private let base: UnsafeMutablePointer<Float>?
  private(set) var used = 0
  /// What the counting pass hands out: never read or written.
  nonisolated(unsafe) private static let nowhere = UnsafeMutablePointer<Float>.allocate(capacity: 1)

  /// A counting pass.
  init() { base = nil }
  /// A carving pass over `arena`.
  init(_ arena: Arena) { base = arena.base }

  mutating func take(_ count: Int) -> UnsafeMutablePointer<Float> {
    defer { used += count }
    return base.map { $0 + used } ?? Carver.nowhere
  }

  mutating func take(_ layers: Int, _ count: Int) -> PerLayer {
    PerLayer(base: take(layers * count), stride: count)
  }

  /// The floats `plan` takes.
  static func count<Plan>(_ plan: (inout Carver) -> Plan) -> Int {
    var counter = Carver()
    _ = plan(&counter)
    return counter.used
  }
}

/// One block of floats, freed when the last plan using it goes.
final class Arena {
  let base: UnsafeMutablePointer<Float>
  let capacity: Int

  init(capacity: Int) {
    (base, self.capacity) = (.allocateAligned(capacity: max(1, capacity)), capacity)
  }

  deinit { base.deallocate() }

  /// `plan` carved out of `previous` when it is large enough, else out of a new arena of
  /// `capacity(plan)` floats, or of `roomier` floats when given (the caller's guess at a
  /// larger plan to come).
  static func carve<Plan>(
    _ plan: (inout Carver) -> Plan, reusing previous: Arena?, roomier: Int? = nil
  ) -> (Plan, Arena) {
    let needed = Carver.count(plan)
    let arena = previous.flatMap { $0.capacity >= needed ? $0 : nil } ?? Arena(capacity: max(needed, roomier ?? 0))
    var carver = Carver(arena)
    return (plan(&carver), arena)
  }
}
