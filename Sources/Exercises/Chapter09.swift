// Exercises for chapter 09 (book/09-finetuning.md, "Exercises").

import Foundation
import GPTKit

/// Exercise 9.1: the mask of a rendered conversation.
///
/// `ids` is a conversation laid out as `ChatFormat.render` lays it out:
///
/// ```
/// <|endoftext|> <|user_start|> ...user... <|user_end|> <|assistant_start|> ...assistant... <|assistant_end|> ...
/// ```
///
/// Return its loss mask, `(N)` like `ids`: 1 on every token the assistant says *and* on its
/// `<|assistant_end|>` (the model must learn to stop), 0 on everything else: the boundary, the
/// user's turns with their markers, and each `<|assistant_start|>` (it is given, not predicted).
/// The ids of the special tokens are `format.userStartId`, `format.assistantStartId`, ...
public func assistantMask(_ ids: [Int], format: ChatFormat) throws -> [UInt8] {
  throw Exercise.notAttempted
}

/// Exercise 9.2: the masked mean loss.
///
/// `logits` is `(B, T, V)` and `targets` `(B, T)`, both row-major (`logits[(b*T + t)*V + v]`);
/// a target of `-1` means "not learned" (a user token, padding). Return the cross-entropy
/// `-log softmax(logits[b, t])[targets[b, t]]` averaged over the *counted* positions only,
/// every counted token weighing the same whatever its row; 0 when nothing is counted.
public func maskedMeanLoss(logits: [Float], targets: [Int32], B: Int, T: Int, V: Int) throws -> Float {
  throw Exercise.notAttempted
}

/// Exercise 9.3: LoRA's forward and backward.
///
/// The adapter's term beside a frozen linear layer, for `x` `(N, in)`, `A` `(r, in)` and
/// `B` `(out, r)` (PEFT's shapes) and `scale` = α/r:
///
/// ```
/// delta = scale · (x · Aᵀ) · Bᵀ          (N, in) -> (N, r) -> (N, out)
/// ```
/// Return `delta`. Worked example: `x = [[1, 2]]`, `A = [[1, 0], [0, 1]]`, `B = [[1, 1]]`,
/// `scale = 2` gives `[[6]]`. (`matmul(_:_:transposeB:)` and `*` on tensors help.)
public func loraForward(_ x: Tensor, A: Tensor, B: Tensor, scale: Float) throws -> Tensor {
  throw Exercise.notAttempted
}

/// Exercise 9.3, continued: given `dDelta` `(N, out)`, return the gradients of `loraForward`
/// with respect to `x` `(N, in)`, `A` `(r, in)` and `B` `(out, r)`, each the shape of what it
/// is the gradient of. Hint: name `h = x · Aᵀ` `(N, r)` and undo one product at a time.
public func loraBackward(_ dDelta: Tensor, x: Tensor, A: Tensor, B: Tensor, scale: Float) throws -> (
  dX: Tensor, dA: Tensor, dB: Tensor
) {
  throw Exercise.notAttempted
}

/// Exercise 9.4: the merge.
///
/// After training, fold the adapter into the layer's weight so that generation runs a plain
/// linear layer again. Our weights are stored `(in, out)` (GPT-2's `Conv1D`): return
/// `weight + scale · (B · A)ᵀ`, `(in, out)`, so that `x · merged == x · weight + delta`.
public func loraMerge(weight: Tensor, A: Tensor, B: Tensor, scale: Float) throws -> Tensor {
  throw Exercise.notAttempted
}
