// Chapter 09 introduces this file: rendered conversations as (B, T) batches whose targets are masked.

/// Batches of whole conversations for supervised fine-tuning, epoch after epoch, in a seeded
/// shuffled order: chapter 02's `DataLoader`, but each row is one conversation instead of a
/// window of a token stream, and the targets the loss must ignore are `-1`.
///
/// A conversation of `N` tokens gives `N - 1` positions (the input `ids[t]`, the target
/// `ids[t + 1]`), so it fits a row of `T` when `N - 1 <= T`. The mask belongs to the *target*:
///
/// ```
/// x[t] = ids[t]                                   t < N - 1
/// y[t] = ids[t + 1]  if mask[t + 1] == 1, else -1
/// x[t] = <|endoftext|>,  y[t] = -1                 N - 1 <= t < T   (padding)
/// ```
///
/// Conversations too long for `T` are dropped, and so are conversations with nothing to
/// learn (no assistant token): never a silent all-masked row. `droppedTooLong` and
/// `droppedWithoutTargets` count them so a chapter can say how many. The state is a
/// `DataLoader.State`, so a checkpoint stores it exactly as it stores the loader's.
public struct ConversationBatches: Sendable {
  /// The conversations that fit, in the order given.
  public let conversations: [RenderedConversation]
  public let batchSize: Int
  public let contextLength: Int
  /// The input id of padded positions (the format's `<|endoftext|>`).
  public let paddingId: Int32
  public let shuffle: Bool
  public let droppedTooLong: Int
  public let droppedWithoutTargets: Int
  public private(set) var epoch = 0
  public private(set) var order: [Int]
  public private(set) var next = 0
  public private(set) var rng: SplitMix64

  /// - Parameters:
  ///   - rendered: conversations from `ChatFormat.render`.
  ///   - batchSize: `B`, rows per batch (at least this many conversations must fit).
  ///   - contextLength: `T`, positions per row.
  ///   - paddingId: the input id of padded positions, e.g. `format.endOfTextId`.
  public init(
    _ rendered: [RenderedConversation], batchSize: Int, contextLength: Int, paddingId: Int,
    shuffle: Bool = true, seed: UInt64 = 1337
  ) {
    let fits = rendered.filter { $0.count - 1 <= contextLength && $0.count >= 2 }
    let kept = fits.filter { $0.mask.dropFirst().contains(1) }
    precondition(
      kept.count >= batchSize,
      "need at least \(batchSize) conversations that fit \(contextLength) positions, have \(kept.count)")
    conversations = kept
    droppedTooLong = rendered.count - fits.count
    droppedWithoutTargets = fits.count - kept.count
    (self.batchSize, self.contextLength, self.paddingId, self.shuffle) =
      (batchSize, contextLength, Int32(paddingId), shuffle)
    rng = SplitMix64(seed: seed)
    order = Array(kept.indices)
    if shuffle { rng.shuffle(&order) }
  }

  /// Everything that decides the next batches, in the loader's type.
  public var state: DataLoader.State {
    get { DataLoader.State(epoch: epoch, order: order, next: next, rng: rng) }
    set {
      precondition(
        newValue.order.count == conversations.count,
        "the saved state is for \(newValue.order.count) conversations, not \(conversations.count)")
      (epoch, order, next, rng) = (newValue.epoch, newValue.order, newValue.next, newValue.rng)
    }
  }

  /// Full batches per epoch: a ragged tail is dropped (and comes back reshuffled).
  public var batchesPerEpoch: Int { conversations.count / batchSize }

  // ANCHOR: conversation-row
  /// One conversation as a row: `x` and `y`, each `(T)`, targets masked and padded.
  public static func row(_ c: RenderedConversation, T: Int, paddingId: Int32) -> (x: [Int32], y: [Int32]) {
    precondition(c.count - 1 <= T, "a conversation of \(c.count) tokens does not fit \(T) positions")
    var x = [Int32](repeating: paddingId, count: T)
    var y = [Int32](repeating: -1, count: T)  // -1: the cross-entropy ignores it
    for t in 0..<(c.count - 1) {
      x[t] = Int32(c.ids[t])
      if c.mask[t + 1] == 1 { y[t] = Int32(c.ids[t + 1]) }  // the mask belongs to the target
    }
    return (x, y)
  }
  // ANCHOR_END: conversation-row

  /// The `(B, T)` batch of the conversations at `indices`, row `b` from `indices[b]`.
  public func batch(_ indices: some Collection<Int>) -> Batch {
    let T = contextLength
    var batch = Batch(x: [], y: [], B: indices.count, T: T)
    batch.x.reserveCapacity(indices.count * T)
    batch.y.reserveCapacity(indices.count * T)
    for i in indices {
      let (x, y) = Self.row(conversations[i], T: T, paddingId: paddingId)
      batch.x += x  // row b of (B, T)
      batch.y += y
    }
    return batch
  }

  /// The next `(B, T)` batch, starting a new (reshuffled) epoch when this one is used up.
  public mutating func nextBatch() -> Batch {
    if next + batchSize > order.count {
      epoch += 1
      next = 0
      if shuffle { rng.shuffle(&order) }
    }
    next += batchSize
    return batch(order[(next - batchSize)..<next])
  }

  /// A fixed list of batches for evaluation: the first `count * B` conversations in the
  /// given order (not the shuffled one), so every call returns the same batches.
  public func probeBatches(count: Int) -> [Batch] {
    let n = min(count, conversations.count / batchSize)
    return (0..<n).map { k in batch((k * batchSize)..<((k + 1) * batchSize)) }
  }
}

extension ConversationBatches: BatchSource {}
