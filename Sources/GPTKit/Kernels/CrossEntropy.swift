// Chapter 00 introduces this file (chapter 06 trains with it, chapter 09 masks it): the loss.

import Foundation

/// Softmax and cross-entropy fused: logits `(N, V)` and one target id per row `(N)`.
///
/// ```
/// probs[n, :] = softmax(logits[n, :])
/// loss        = mean over counted rows of  -log probs[n, target[n]]
/// dLogits[n, v] = (probs[n, v] - [v == target[n]]) / counted
/// ```
/// A negative target means "ignore this position": it adds nothing to the loss or the
/// gradient and is not counted in the mean. Chapter 09 sets the prompt's targets to
/// `CrossEntropy.ignore` so that fine-tuning only learns the answers.
/// Fusing the two is shorter and more accurate than a softmax followed by a log:
/// the gradient with respect to the logits is simply `probs - onehot`.
public enum CrossEntropy {
  /// The target value that masks a position out of the loss.
  public static let ignore: Int32 = -1

  /// Fills `probs` and the per-row `losses` (`0` where ignored) and returns the mean loss
  /// over counted rows together with that count.
  @discardableResult
  public static func forward(
    losses: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
    logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, V: Int
  ) -> (loss: Float, counted: Int) {
    Softmax.forward(out: probs, inp: logits, rows: rows, width: V)
    var counted = 0
    var total: Double = 0
    for n in 0..<rows {
      let target = Int(targets[n])
      precondition(target < V, "target id \(target) is outside the vocabulary of \(V)")
      if target < 0 {
        losses[n] = 0
        continue
      }
      losses[n] = -log(max(probs[n * V + target], Float.leastNormalMagnitude))
      total += Double(losses[n])
      counted += 1
    }
    return (counted == 0 ? 0 : Float(total / Double(counted)), counted)
  }

  // ANCHOR: cross-entropy-backward
  /// `dLogits += dLoss · (probs - onehot(target)) / counted` for every counted row.
  public static func backward(
    dLogits: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
    targets: UnsafePointer<Int32>, rows: Int, V: Int, counted: Int, dLoss: Float = 1
  ) {
    guard counted > 0 else { return }
    let scale = dLoss / Float(counted)
    Parallel.forEachChunk(rows, minimumPerChunk: max(1, 4096 / V)) { _, range in
      for n in range where targets[n] >= 0 {
        let (p, d) = (probs + n * V, dLogits + n * V)
        for v in 0..<V { d[v] += scale * p[v] }
        d[Int(targets[n])] -= scale
      }
    }
  }
  // ANCHOR_END: cross-entropy-backward

  /// The tensor form: `logits` is `(..., V)`, `targets` holds one id per row.
  public static func forward(_ logits: Tensor, targets: [Int32]) -> (loss: Float, probs: Tensor, counted: Int) {
    let (N, V) = (logits.rowCount, logits.rowWidth)
    precondition(targets.count == N, "CrossEntropy: \(N) rows but \(targets.count) targets")
    var probs = Tensor(shape: logits.shape)
    var losses = [Float](repeating: 0, count: N)
    let result = probs.withMutablePointer { p in
      logits.withPointer { l in
        targets.withUnsafeBufferPointer { t in
          forward(
            losses: &losses, probs: p, logits: l, targets: t.baseAddress ?? UnsafePointer(bitPattern: 64)!, rows: N,
            V: V)
        }
      }
    }
    return (result.loss, probs, result.counted)
  }

  /// The tensor form of `backward`: accumulates into `dLogits`.
  public static func backward(
    probs: Tensor, targets: [Int32], counted: Int, dLoss: Float = 1, into dLogits: inout Tensor
  ) {
    dLogits.withMutablePointer { d in
      probs.withPointer { p in
        targets.withUnsafeBufferPointer { t in
          backward(
            dLogits: d, probs: p, targets: t.baseAddress ?? UnsafePointer(bitPattern: 64)!, rows: probs.rowCount,
            V: probs.rowWidth,
            counted: counted, dLoss: dLoss)
        }
      }
    }
  }
}
