// Chapter 07 introduces this file: the KV cache, one token's forward pass at a time.

/// The keys and values of every position generated so far, per layer, so that the next
/// token's forward pass computes only its own row instead of the whole prefix again.
///
/// Each layer keeps the keys of every position transposed, `(C, T)`, and the values by head,
/// `(NH, T, HS)`, so that one head's keys and values are each one block of memory. A new
/// token at position `p` computes its own `q, k, v` row, stores its key and value, and
/// attends with one query against the `p + 1` cached keys and values. Every other layer works
/// on a single row. The kernels are the same ones the full forward uses, and they
/// give the same bits for a row whatever the number of rows, so the cache reproduces full
/// recomputation exactly.
public final class KVCache {
  public let model: GPT
  /// The block matrices as panels, if the cache reads those instead of the model's own.
  public let weights: GenerationWeights?
  /// Per layer: its parameters, and its four linear layers reading the model or the panels.
  let blocks: [(w: BlockWeights, m: (qkv: RowLinear, proj: RowLinear, fc: RowLinear, fcProj: RowLinear))]
  /// Positions filled so far.
  public private(set) var count = 0
  /// Stores the newest position's key and value by someone else's code instead of the two
  /// lines in `append` (chapter 07's `--mine` gives the learner's).
  public var store: Store?
  /// `(keysT (C, T), values (NH, T, HS), qkv (3C), position)` of one layer.
  public typealias Store = (
    _ keysT: UnsafeMutableBufferPointer<Float>, _ values: UnsafeMutableBufferPointer<Float>,
    _ qkv: UnsafeBufferPointer<Float>, _ position: Int
  ) -> Void
  let keysT: [UnsafeMutablePointer<Float>]  // per layer (C, T): head h's keys are rows h*HS..<(h+1)*HS
  let values: [UnsafeMutablePointer<Float>]  // per layer (NH, T, HS): head h's values, a row per position
  let qkv: UnsafeMutablePointer<Float>  // (3C): the newest token's query, key and value
  let x, ln, atty, hidden, hiddenGelu, branch: UnsafeMutablePointer<Float>
  let lnStats: UnsafeMutablePointer<Float>  // (2): a LayerNorm's mean and 1/std
  let att: UnsafeMutablePointer<Float>  // (NH, T): each head's scores, so heads can run side by side
  public let logits: UnsafeMutablePointer<Float>  // (V) after `append`
  private let arena: UnsafeMutablePointer<Float>

  /// A cache for `model`, reading its block matrices from `weights` if given (made from the
  /// same model), or else from the model itself.
  public init(_ model: GPT, weights: GenerationWeights? = nil) {
    self.model = model
    self.weights = weights
    precondition(
      weights.map { $0.blocks.count == model.config.layerCount } ?? true,
      "these generation weights were made from a model with another number of layers")
    blocks = model.weights.blocks.enumerated().map { l, w in
      let m = w.linears.enumerated().map { i, linear in
        let panels = weights?.blocks[l][i]
        precondition(
          panels.map { ($0.rows, $0.columns) == (linear.inFeatures, linear.outFeatures) } ?? true,
          "these generation weights were made from a model of another width")
        return RowLinear(weights: linear, panels: panels)
      }
      return (w, (m[0], m[1], m[2], m[3]))
    }
    let c = model.config
    let (T, C, V, L) = (c.contextLength, c.channels, c.vocabularySize, c.layerCount)
    let sizes =
      [C, C, C, 4 * C, 4 * C, C, 2, c.headCount * T, V, 3 * C] + Array(repeating: C * T, count: 2 * L)
    arena = .allocateAligned(capacity: sizes.reduce(0, +))
    var used = 0
    var pieces: [UnsafeMutablePointer<Float>] = []
    for s in sizes {
      pieces.append(arena + used)
      used += s
    }
    (x, ln, atty, hidden, hiddenGelu, branch) = (pieces[0], pieces[1], pieces[2], pieces[3], pieces[4], pieces[5])
    (lnStats, att, logits, qkv) = (pieces[6], pieces[7], pieces[8], pieces[9])
    keysT = Array(pieces[10..<(10 + L)])
    values = Array(pieces[(10 + L)...])
  }

  deinit { arena.deallocate() }

  /// Forgets every cached position.
  public func reset() { count = 0 }

  // ANCHOR: kv-append
  /// Runs the model on one more token at the next position and leaves the logits for the
  /// token after it in `logits`.
  public func append(_ token: Int32) {
    let c = model.config
    let (T, C, NH, V) = (c.contextLength, c.channels, c.headCount, c.vocabularySize)
    precondition(count < T, "the cache holds \(T) positions: reset it (and re-feed a window) to go on")
    let position = count
    let (tokenRow, positionRow) = (model.weights.wte + Int(token) * C, model.positions + position * C)
    for i in 0..<C { x[i] = tokenRow[i] + positionRow[i] }  // x = wte[token] + positions[p]
    let HS = C / NH
    for l in 0..<c.layerCount {
      let (w, m) = blocks[l]  // m: the linear layers, reading the model or the panels
      LayerNorm.forward(out: ln, stats: lnStats, inp: x, w.ln1, rows: 1)
      m.qkv(out: qkv, inp: ln)
      if let store {
        let (k, v) = (UnsafeMutableBufferPointer(start: keysT[l], count: C * T), values[l])
        store(
          k, UnsafeMutableBufferPointer(start: v, count: C * T), UnsafeBufferPointer(start: qkv, count: 3 * C), position
        )
      } else {
        for i in 0..<C { keysT[l][i * T + position] = qkv[C + i] }  // the new key, as a column
        for h in 0..<NH { (values[l] + (h * T + position) * HS).update(from: qkv + 2 * C + h * HS, count: HS) }
      }
      Parallel.forEachChunk(NH) { _, heads in  // heads are independent: split them across threads
        for h in heads {  // one query against every cached key and value
          attend(
            out: atty + h * HS, scores: att + h * T, q: qkv + h * HS, keysT: keysT[l] + h * HS * T,
            values: values[l] + h * T * HS, keys: position + 1, HS: HS)
        }
      }
      m.proj(out: branch, inp: atty)
      Elementwise.add(out: x, x, branch, count: C)  // x + attention
      LayerNorm.forward(out: ln, stats: lnStats, inp: x, w.ln2, rows: 1)
      m.fc(out: hidden, inp: ln)
      GELU.forward(out: hiddenGelu, inp: hidden, count: 4 * C)
      m.fcProj(out: branch, inp: hiddenGelu)
      Elementwise.add(out: x, x, branch, count: C)  // x + MLP
    }
    LayerNorm.forward(out: ln, stats: lnStats, inp: x, model.weights.lnF, rows: 1)
    if let head = weights?.head {  // logits = ln · headᵀ (head is wte), from the panels or the model
      head.multiply(ln, into: logits, bias: nil)
    } else {
      Matmul.gemm(M: 1, N: V, K: C, a: ln, b: model.head, transposeB: true, c: logits)
    }
    count += 1
  }
  // ANCHOR_END: kv-append

  /// One linear layer applied to one row: `out = inp · weight + bias`, with the weight read
  /// from the model, or from its panels when the cache has them.
  struct RowLinear {
    let weights: LinearWeights
    let panels: WeightPanels?

    func callAsFunction(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>) {
      if let panels {
        panels.multiply(inp, into: out, bias: weights.bias)
      } else {
        Linear.forward(out: out, inp: inp, weights, rows: 1)
      }
    }
  }

  // ANCHOR: kv-attend
  /// One head's attention for the newest position: row `p` of `Attention.forward`, the
  /// same operations in the same order, reading the head's own blocks of the cache: the
  /// transposed keys `(HS, T)`, so that the one-row product streams whole rows of `Kᵀ`
  /// instead of gathering one number from each of sixteen keys at a time, and the values
  /// `(T, HS)`, one contiguous run.
  func attend(
    out: UnsafeMutablePointer<Float>, scores att: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
    keysT: UnsafePointer<Float>, values: UnsafePointer<Float>, keys: Int, HS: Int
  ) {
    let T = model.config.contextLength
    let scale = 1 / Float(HS).squareRoot()
    Matmul.gemm(M: 1, N: keys, K: HS, a: q, b: keysT, ldb: T, c: att, threads: 1)  // scores
    Softmax.row(att, att, keys, scale: scale)
    Matmul.gemm(M: 1, N: HS, K: keys, a: att, b: values, c: out, threads: 1)  // att · V
  }
  // ANCHOR_END: kv-attend
}
