import Foundation
import Testing

@testable import GPTKit

/// A readable chat format: ids 0-255 are the bytes themselves, `<|endoftext|>` is 256, so the
/// turn tokens become 257 (user start), 258 (user end), 259 (assistant start), 260 (assistant end).
let byteChat = ChatFormat(
  extending: BPETokenizer(
    ranks: (0..<256).map { [UInt8($0)] }, pattern: .gpt2, specialTokens: ["<|endoftext|>": 256]))

func ascii(_ text: String) -> [Int] { text.utf8.map(Int.init) }

@Suite("09 chat format")
struct ChatFormatTests {
  @Test func extendingAddsTheTurnTokensAfterTheVocabulary() throws {
    let tokenizer = byteChat.tokenizer
    #expect(tokenizer.vocabularySize == 261)
    #expect(tokenizer.specialTokens["<|user_start|>"] == 257)
    #expect(tokenizer.specialTokens["<|assistant_end|>"] == 260)
    #expect(tokenizer.decode([259, 104, 105, 260]) == "<|assistant_start|>hi<|assistant_end|>")
    #expect(try tokenizer.encode("<|user_end|>", allowedSpecial: ["<|user_end|>"]) == [258])
    #expect(ChatFormat.extending(tokenizer).vocabularySize == 261)  // extending twice changes nothing
  }

  @Test func theBPE512GetsIds512To515() {
    let ranks = (0..<511).map { $0 < 256 ? [UInt8($0)] : [UInt8(97), UInt8($0 - 256)] }
    let base = BPETokenizer(ranks: ranks, pattern: .gpt2, specialTokens: ["<|endoftext|>": 511])
    let format = ChatFormat(extending: base)
    let ids = [
      format.endOfTextId, format.userStartId, format.userEndId, format.assistantStartId, format.assistantEndId,
    ]
    #expect(ids == [511, 512, 513, 514, 515])
    #expect(format.tokenizer.vocabularySize == 516)
  }

  @Test func aTokenizerWithoutTurnTokensIsRejected() {
    let plain = BPETokenizer(ranks: (0..<256).map { [UInt8($0)] }, pattern: .gpt2)
    #expect(throws: ChatFormatError.missingToken("<|endoftext|>")) { try ChatFormat(tokenizer: plain) }
  }

  @Test func oneTurnGolden() {
    let r = byteChat.render(Conversation([Message(.user, "hi"), Message(.assistant, "yo")]))
    #expect(r.ids == [256, 257, 104, 105, 258, 259, 121, 111, 260])
    #expect(r.mask == [0, 0, 0, 0, 0, 0, 1, 1, 1])
  }

  @Test func multiTurnGolden() {
    let c = Conversation([
      Message(.user, "a?"), Message(.assistant, "b"), Message(.user, "c"), Message(.assistant, "de"),
    ])
    let r = byteChat.render(c)
    #expect(r.ids == [256, 257, 97, 63, 258, 259, 98, 260, 257, 99, 258, 259, 100, 101, 260])
    #expect(r.mask == [0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1])
    #expect(r.maskedInCount == 5)
  }

  @Test func specialTextInAMessageStaysText() {
    let r = byteChat.render(Conversation([Message(.user, "<|assistant_end|>")]))
    #expect(!r.ids.dropFirst(2).dropLast().contains(260))
    #expect(r.ids.count == 3 + "<|assistant_end|>".utf8.count)
  }

  @Test func promptEndsWithAssistantStartAndAnswerStopsAtTheEnd() {
    let prompt = byteChat.renderPrompt(Conversation([Message(.user, "hi")]))
    #expect(prompt == [256, 257, 104, 105, 258, 259])
    let (text, ended) = byteChat.answer([121, 111, 260, 33])
    #expect(text == "yo" && ended)
    let (cut, endedCut) = byteChat.answer([121, 111])
    #expect(cut == "yo" && !endedCut)
  }
}

@Suite("09 conversation batches")
struct ConversationBatchTests {
  let hiYo = byteChat.render(Conversation([Message(.user, "hi"), Message(.assistant, "yo")]))

  @Test func targetsShiftWithTheMask() {
    // ids   [256, 257, 104, 105, 258, 259, 121, 111, 260]; the assistant's "yo" and the end are learned.
    let (x, y) = ConversationBatches.row(hiYo, T: 10, paddingId: 256)
    #expect(x == [256, 257, 104, 105, 258, 259, 121, 111, 256, 256])
    // After <|assistant_start|> (x[5]) comes "y": the first counted target. An off-by-one that
    // reads mask[t] instead of mask[t + 1] would count y[8] and miss y[5].
    #expect(y == [-1, -1, -1, -1, -1, 121, 111, 260, -1, -1])
  }

  @Test func multiTurnTargets() {
    let r = byteChat.render(
      Conversation([Message(.user, "a"), Message(.assistant, "b"), Message(.user, "c"), Message(.assistant, "d")]))
    let (_, y) = ConversationBatches.row(r, T: r.count - 1, paddingId: 256)
    // ids [256, 257, 97, 258, 259, 98, 260, 257, 99, 258, 259, 100, 260]
    #expect(y == [-1, -1, -1, -1, 98, 260, -1, -1, -1, -1, 100, 260])
  }

  @Test func longAndEmptyConversationsAreDroppedAndCounted() {
    let long = byteChat.render(Conversation([Message(.user, "hello there"), Message(.assistant, "hi")]))
    let silent = byteChat.render(Conversation([Message(.user, "hi")]))
    let batches = ConversationBatches(
      [hiYo, long, silent, hiYo], batchSize: 2, contextLength: 8, paddingId: 256, shuffle: false)
    #expect(batches.conversations.count == 2)
    #expect(batches.droppedTooLong == 1)
    #expect(batches.droppedWithoutTargets == 1)
    var copy = batches
    let batch = copy.nextBatch()
    #expect(batch.B == 2 && batch.T == 8 && batch.x.count == 16)
    #expect(batch.targetCount == 6)
  }

  @Test func stateRoundTripsAndEpochsReshuffle() {
    let rows = (0..<10).map { i in
      byteChat.render(Conversation([Message(.user, "\(i)"), Message(.assistant, "\(i)")]))
    }
    var a = ConversationBatches(rows, batchSize: 3, contextLength: 12, paddingId: 256, seed: 5)
    for _ in 0..<4 { _ = a.nextBatch() }  // into the second epoch (3 batches per epoch)
    #expect(a.state.epoch == 1)
    var b = ConversationBatches(rows, batchSize: 3, contextLength: 12, paddingId: 256, seed: 99)
    b.state = a.state
    for _ in 0..<5 { #expect(a.nextBatch() == b.nextBatch()) }
  }

  @Test func probeBatchesAreFixed() {
    let rows = (0..<7).map { i in
      byteChat.render(Conversation([Message(.user, "\(i)"), Message(.assistant, "ok")]))
    }
    var batches = ConversationBatches(rows, batchSize: 2, contextLength: 12, paddingId: 256)
    let probe = batches.probeBatches(count: 5)
    #expect(probe.count == 3)
    _ = batches.nextBatch()
    #expect(batches.probeBatches(count: 5) == probe)
    #expect(probe[0].x[2] == 48 && probe[0].x[12 + 2] == 49)  // conversations "0" and "1", in order
  }
}
