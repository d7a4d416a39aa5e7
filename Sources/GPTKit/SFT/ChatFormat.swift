// Chapter 09 introduces this file: conversations, the special tokens that mark their turns, and the loss mask.

/// Who says a message: the learner's side (`user`) or the model's (`assistant`).
public enum Role: String, Codable, Sendable, CaseIterable {
  case user, assistant
}

/// One turn of a conversation.
public struct Message: Codable, Hashable, Sendable {
  public var role: Role
  public var content: String

  public init(_ role: Role, _ content: String) {
    (self.role, self.content) = (role, content)
  }
}

/// The turns of one conversation, in order (usually user, assistant, user, assistant...).
public struct Conversation: Codable, Hashable, Sendable {
  public var messages: [Message]

  public init(_ messages: [Message]) {
    self.messages = messages
  }
}

/// A conversation as token ids, with the loss mask beside them: `mask[i]` is 1 when `ids[i]`
/// is something the model must learn to say, 0 when it is only context. Both are `(N)`.
public struct RenderedConversation: Equatable, Sendable {
  public var ids: [Int]
  public var mask: [UInt8]

  public init(ids: [Int], mask: [UInt8]) {
    precondition(ids.count == mask.count, "ids and mask must have the same length")
    (self.ids, self.mask) = (ids, mask)
  }

  public var count: Int { ids.count }
  /// How many tokens the loss counts.
  public var maskedInCount: Int { mask.reduce(0) { $0 + Int($1) } }
}

/// A tokenizer is missing a chat token: it was not extended for chapter 09.
public enum ChatFormatError: Error, CustomStringConvertible, Equatable {
  case missingToken(String)

  public var description: String {
    switch self {
    case .missingToken(let token):
      return "the tokenizer has no \(token): extend it with ChatFormat.extending(_:) before fine-tuning (chapter 09)"
    }
  }
}

/// nanochat's chat format: every turn is wrapped in special tokens, and only what the
/// assistant says is trained on.
///
/// ```
/// <|endoftext|> <|user_start|> Who speaks? <|user_end|> <|assistant_start|> Menenius <|assistant_end|>
/// mask:   0           0            0  0         0               0              1         1
/// ```
///
/// `<|endoftext|>` stays what it was in pretraining, the document boundary: it opens every
/// conversation (like nanochat's `<|bos|>`) and pads short rows in a batch.
///
/// **How the turn tokens arrive (decided for chapter 09):** they are *added in this chapter by
/// extending the vocabulary* of chapter 06's tokenizer, not reserved back in chapter 01. The new
/// ids come right after the existing vocabulary: a BPE-512 whose `<|endoftext|>` is 511 gets
/// `<|user_start|>` 512, `<|user_end|>` 513, `<|assistant_start|>` 514 and `<|assistant_end|>` 515.
/// Chapters 01-08 then stay exactly as they were (their checkpoints, token files and
/// Hugging Face exports do not change), and the model grows four embedding rows when it is
/// fine-tuned: the honest picture of how chat tokens are added to a pretrained model.
///
/// Message text is encoded as *ordinary* text: a user who types `<|assistant_end|>` gets the
/// characters, never the token (tiktoken's rule against smuggled special tokens).
public struct ChatFormat: Sendable {
  public static let endOfText = "<|endoftext|>"
  public static let userStart = "<|user_start|>"
  public static let userEnd = "<|user_end|>"
  public static let assistantStart = "<|assistant_start|>"
  public static let assistantEnd = "<|assistant_end|>"
  /// The tokens chapter 09 adds, in id order.
  public static let turnTokens = [userStart, userEnd, assistantStart, assistantEnd]

  /// The extended tokenizer: the base vocabulary plus the turn tokens.
  public let tokenizer: BPETokenizer
  public let endOfTextId: Int
  public let userStartId: Int
  public let userEndId: Int
  public let assistantStartId: Int
  public let assistantEndId: Int

  /// `base` with the turn tokens (and `<|endoftext|>`, if it had none) added after its
  /// vocabulary: ids `V`, `V+1`, `V+2`, `V+3` for a base of vocabulary size `V`. A tokenizer
  /// that already has them is returned unchanged, so extending twice is harmless.
  ///
  /// ```
  /// let chat = ChatFormat.extending(bpe512)   // vocabularySize 512 -> 516
  /// chat.specialTokens["<|assistant_end|>"]   // 515
  /// ```
  public static func extending(_ base: BPETokenizer) -> BPETokenizer {
    var specials = base.specialTokens
    for token in [endOfText] + turnTokens where specials[token] == nil {
      specials[token] = max(base.rankCount, (specials.values.max() ?? -1) + 1)
    }
    if specials == base.specialTokens { return base }
    let ranks = (0..<base.rankCount).map { base.bytes(of: $0) }
    return BPETokenizer(ranks: ranks, pattern: base.pattern, specialTokens: specials)
  }

  /// The format of a tokenizer that already has the chat tokens (one saved after fine-tuning).
  public init(tokenizer: BPETokenizer) throws(ChatFormatError) {
    func id(_ token: String) throws(ChatFormatError) -> Int {
      guard let id = tokenizer.specialTokens[token] else { throw .missingToken(token) }
      return id
    }
    self.tokenizer = tokenizer
    endOfTextId = try id(Self.endOfText)
    userStartId = try id(Self.userStart)
    userEndId = try id(Self.userEnd)
    assistantStartId = try id(Self.assistantStart)
    assistantEndId = try id(Self.assistantEnd)
  }

  /// The format of `base` extended with the chat tokens.
  public init(extending base: BPETokenizer) {
    try! self.init(tokenizer: Self.extending(base))  // extending adds every token the init looks up
  }

  // ANCHOR: render
  /// nanochat's `render_conversation`: the ids of a whole conversation, and a mask that is 1
  /// only on what the assistant says and on its `<|assistant_end|>` (so the model learns to
  /// stop), 0 on the boundary, the user's turns and the `<|assistant_start|>` markers.
  /// Both outputs are `(N)`.
  ///
  /// ```
  /// render([user "hi", assistant "yo"])   // with bytes as ids and endoftext 256
  /// ids   [256, 257, 104, 105, 258, 259, 121, 111, 260]
  /// mask  [  0,   0,   0,   0,   0,   0,   1,   1,   1]
  /// ```
  public func render(_ conversation: Conversation) -> RenderedConversation {
    var ids = [endOfTextId]
    var mask: [UInt8] = [0]
    func add(_ tokens: [Int], _ maskValue: UInt8) {
      ids += tokens
      mask += [UInt8](repeating: maskValue, count: tokens.count)
    }
    for message in conversation.messages {
      let content = tokenizer.encodeOrdinary(message.content)
      switch message.role {
      case .user:
        add([userStartId] + content + [userEndId], 0)
      case .assistant:
        add([assistantStartId], 0)  // the prompt says "your turn": given, not predicted
        add(content + [assistantEndId], 1)  // what the model must say, and that it is done
      }
    }
    return RenderedConversation(ids: ids, mask: mask)
  }
  // ANCHOR_END: render

  /// nanochat's `render_for_completion`: the conversation so far (normally ending with a user
  /// turn) followed by `<|assistant_start|>`, ready for the model to continue.
  public func renderPrompt(_ conversation: Conversation) -> [Int] {
    render(conversation).ids + [assistantStartId]
  }

  /// The text of a generated answer, up to (not including) the first `<|assistant_end|>`,
  /// and whether that token came at all. Other special tokens decode to their names.
  public func answer(_ generated: [Int]) -> (text: String, ended: Bool) {
    let end = generated.firstIndex(of: assistantEndId)
    return (tokenizer.decode(Array(generated[..<(end ?? generated.count)])), end != nil)
  }
}
