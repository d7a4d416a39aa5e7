// Chapter 02 introduces this file: from one long token stream to batches of (x, y).

/// A batch of `B` rows of `T` token ids. `y` is `x` shifted left by one: `y[b, t]` is the
/// token that follows `x[b, t]` in the text, the one the model must predict.
/// Both are stored row-major: `x[b, t]` is `x[b*T + t]`.
public struct Batch: Equatable, Sendable {
  public var x: [Int32]  // (B, T)
  public var y: [Int32]  // (B, T)
  public var B: Int
  public var T: Int

  public init(x: [Int32], y: [Int32], B: Int, T: Int) {
    (self.x, self.y, self.B, self.T) = (x, y, B, T)
  }

  /// Targets the loss counts: all of them, but for masked ones (negative, chapter 09).
  public var targetCount: Int { y.count { $0 >= 0 } }
}

/// The train/validation split and the windows cut from a token stream.
public struct TokenWindows: Sendable {
  public let tokens: [Int32]
  public let contextLength: Int
  public let stride: Int

  /// A window `i` covers `tokens[i*stride ..< i*stride + contextLength + 1]`: `T` inputs and,
  /// one step ahead, `T` targets. So the count is the number of starts that leave room:
  ///
  /// ```
  /// windows = (N - T - 1) / stride + 1     (0 when N < T + 1)
  /// ```
  public var count: Int {
    tokens.count < contextLength + 1 ? 0 : (tokens.count - contextLength - 1) / stride + 1
  }

  public init(_ tokens: [Int32], contextLength: Int, stride: Int) {
    precondition(contextLength > 0 && stride > 0, "contextLength and stride must be positive")
    (self.tokens, self.contextLength, self.stride) = (tokens, contextLength, stride)
  }

  /// Tokens needed for `windows` windows: `(windows - 1) * stride + T + 1`.
  public func tokensNeeded(forWindows windows: Int) -> Int { (max(windows, 1) - 1) * stride + contextLength + 1 }

  /// Refuses, in one line, a stream with fewer than `batchSize` windows: a `DataLoader` needs
  /// one full batch. `fix` names the options that would ask for less, e.g. "a smaller --batch".
  public func requireBatch(of batchSize: Int, from path: String, fix: String) throws(CorpusError) {
    guard count >= batchSize else {
      throw .tooFewTokens(path, tokens: tokens.count, needed: tokensNeeded(forWindows: batchSize), fix: fix)
    }
  }

  // ANCHOR: window
  /// Window `i` as `(x, y)`, each `(T)`, with `y[t] = x[t + 1]`.
  public func window(_ i: Int) -> (x: ArraySlice<Int32>, y: ArraySlice<Int32>) {
    let start = i * stride
    return (tokens[start..<(start + contextLength)], tokens[(start + 1)..<(start + contextLength + 1)])
  }
  // ANCHOR_END: window
}

/// Splits a stream into its first `trainFraction` (train) and the rest (validation),
/// at a token boundary: the validation text is the end of the corpus, never seen in training.
public func trainValidationSplit(_ tokens: [Int32], trainFraction: Double = 0.9) -> (
  train: [Int32], validation: [Int32]
) {
  let cut = Int(Double(tokens.count) * trainFraction)
  return (Array(tokens[..<cut]), Array(tokens[cut...]))
}

/// Batches of windows, epoch after epoch, in a seeded shuffled order.
///
/// Each epoch visits every window once, in an order drawn from the loader's own generator,
/// `B` windows per batch. A last batch with fewer than `B` windows is dropped (the "ragged
/// tail"): every batch then has the same shape, and the dropped windows come back in other
/// epochs because the order is reshuffled. The loader's whole position (`epoch`, `next` and
/// the generator) is plain data, so a checkpoint can save it and resume exactly.
public struct DataLoader: Sendable {
  public let windows: TokenWindows
  public let batchSize: Int
  public let shuffle: Bool
  public private(set) var epoch = 0
  public private(set) var order: [Int]
  public private(set) var next = 0
  public private(set) var rng: SplitMix64

  public init(_ windows: TokenWindows, batchSize: Int, shuffle: Bool = true, seed: UInt64 = 1337) {
    precondition(windows.count >= batchSize, "need at least \(batchSize) windows, have \(windows.count)")
    (self.windows, self.batchSize, self.shuffle) = (windows, batchSize, shuffle)
    self.rng = SplitMix64(seed: seed)
    self.order = Array(0..<windows.count)
    if shuffle { rng.shuffle(&order) }
  }

  /// Everything that decides the next batches: a checkpoint stores it to resume exactly.
  public struct State: Codable, Equatable, Sendable {
    public var epoch: Int
    public var order: [Int]
    public var next: Int
    public var rng: SplitMix64
  }

  public var state: State {
    get { State(epoch: epoch, order: order, next: next, rng: rng) }
    set {
      precondition(
        newValue.order.count == windows.count,
        "the saved loader state is for \(newValue.order.count) windows, not \(windows.count)")
      (epoch, order, next, rng) = (newValue.epoch, newValue.order, newValue.next, newValue.rng)
    }
  }

  /// Full batches per epoch: the ragged tail is dropped.
  public var batchesPerEpoch: Int { windows.count / batchSize }

  // ANCHOR: next-indices
  /// The window indices of the next batch, starting a new (reshuffled) epoch when this one
  /// is used up.
  public mutating func nextIndices() -> ArraySlice<Int> {
    if next + batchSize > order.count {  // the ragged tail: start a new epoch
      epoch += 1
      next = 0
      if shuffle { rng.shuffle(&order) }
    }
    next += batchSize
    return order[(next - batchSize)..<next]
  }
  // ANCHOR_END: next-indices

  /// The next `(B, T)` batch.
  public mutating func nextBatch() -> Batch {
    let T = windows.contextLength
    var batch = Batch(x: [], y: [], B: batchSize, T: T)
    batch.x.reserveCapacity(batchSize * T)
    batch.y.reserveCapacity(batchSize * T)
    for i in nextIndices() {
      let (x, y) = windows.window(i)
      batch.x += x  // row b of (B, T)
      batch.y += y
    }
    return batch
  }
}

/// nanoGPT's sampler: every row starts at a uniformly random offset, with replacement.
///
/// Simpler than epochs and just as good for long training runs, but within "one epoch's
/// worth" of batches some tokens are seen several times and about 1/e of them not at all.
public struct RandomOffsetSampler: Sendable {
  public let tokens: [Int32]
  public let contextLength: Int
  public let batchSize: Int
  public private(set) var rng: SplitMix64

  public init(_ tokens: [Int32], contextLength: Int, batchSize: Int, seed: UInt64 = 1337) {
    precondition(tokens.count > contextLength, "need more than \(contextLength) tokens, have \(tokens.count)")
    (self.tokens, self.contextLength, self.batchSize) = (tokens, contextLength, batchSize)
    self.rng = SplitMix64(seed: seed)
  }

  /// A uniformly random window start that leaves room for the targets.
  public mutating func nextStart() -> Int { rng.nextInt(below: tokens.count - contextLength) }

  // ANCHOR: random-offset
  public mutating func nextBatch() -> Batch {
    let T = contextLength
    var batch = Batch(x: [], y: [], B: batchSize, T: T)
    for _ in 0..<batchSize {
      let start = nextStart()
      batch.x += tokens[start..<(start + T)]
      batch.y += tokens[(start + 1)..<(start + T + 1)]
    }
    return batch
  }
  // ANCHOR_END: random-offset
}
