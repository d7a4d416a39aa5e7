// Exercises for chapter 09 (book/09-finetuning.md, "Exercises").

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
