import Testing

@testable import GPTKit

@Suite("09 chat evaluation")
struct ChatEvaluationTests {
  let examples = Array(shakespeareTasks.heldOut.filter { $0.family != "identity" })
  let format = byteChat

  /// A fake model that knows every held-out answer; `reply` turns the answer into its ids.
  func fake(_ reply: @escaping (TaskExample) -> [Int]) -> ([Int], Int) -> [Int] {
    var byPrompt: [[Int]: TaskExample] = [:]
    for example in examples { byPrompt[format.renderPrompt(example.prompt)] = example }
    return { prompt, limit in Array(reply(byPrompt[prompt]!).prefix(limit)) }
  }

  func score(_ generate: ([Int], Int) -> [Int], limit: Int = 256) -> ChatScore {
    ChatEvaluation.score(
      examples, format: format, baselines: shakespeareTasks.baselines, limit: limit, generate: generate)
  }

  @Test func aPerfectModelScoresEverything() {
    let result = score(fake { ascii($0.answer) + [format.assistantEndId] })
    #expect(result.formatAdherence == 1)
    #expect(result.families.map(\.family) == ["speaker", "play", "lines", "continue", "speaker+play"])
    for row in result.families where row.isScored { #expect(row.accuracy == 1, "\(row.family)") }
    #expect(result.family("continue")?.correct == 0)  // free text is never scored
  }

  @Test func anAlwaysWrongModelKeepsTheFormatButScoresNothing() {
    let result = score(fake { _ in ascii("Nobody") + [format.assistantEndId] })
    #expect(result.formatAdherence == 1)
    #expect(result.families.allSatisfy { $0.correct == 0 })
  }

  @Test func aModelThatNeverEndsBreaksTheFormat() {
    let limit = 16
    let result = score(
      fake { ascii($0.answer + "\nand on and on and on and on") + [format.assistantEndId] }, limit: limit)
    #expect(result.formatAdherence == 0)  // the end token comes only after the limit
    #expect(result.family("lines")?.accuracy == 1)  // "3\nand on...": its first line is right
    #expect(result.answers.allSatisfy { !$0.ended })
  }

  @Test func matchingLooksAtTheTrimmedFirstLine() {
    #expect(ChatEvaluation.matches(" Menenius \nWhat work's", expected: "Menenius"))
    #expect(!ChatEvaluation.matches("Menenius Agrippa", expected: "Menenius"))
    #expect(!ChatEvaluation.matches("", expected: "Menenius"))
  }

  @Test func tableHasOneLinePerFamily() {
    let lines = score(fake { ascii($0.answer) + [format.assistantEndId] }).table()
    #expect(lines.count == 6)
    #expect(lines[1] == "speaker           126  100.0%  100.0%     16.7%  (King Richard)")
    #expect(lines[4].hasPrefix("continue          200  100.0%       -"))
  }

  @Test func assistantLossIsTheMeanOverCountedTargets() {
    let counted = Batch(x: [0, 0, 0, 0], y: [1, -1, 2, 3], B: 2, T: 2)
    let one = Batch(x: [0, 0], y: [-1, 5], B: 1, T: 2)
    let none = Batch(x: [0, 0], y: [-1, -1], B: 1, T: 2)
    let losses: [Int: Float] = [4: 2, 2: 6]  // keyed by x.count: 3 targets at mean 2, 1 at mean 6
    let (loss, n) = ChatEvaluation.assistantLoss([counted, none, one]) { batch in
      batch.y.allSatisfy { $0 < 0 } ? .nan : losses[batch.x.count]!
    }
    #expect(n == 4 && loss == 3)  // (3*2 + 1*6) / 4, and the all-masked batch adds no NaN
    #expect(ChatEvaluation.assistantLoss([none]) { _ in .nan } == (loss: 0, counted: 0))
  }

  @Test func assistantLossOfAModelMatchesItsForward() {
    let model = GPT(
      GPTConfig(vocabularySize: 261, contextLength: 16, layerCount: 1, headCount: 2, channels: 8), seed: 1)
    let rows = shakespeareTasks.examples("lines").train.prefix(4).map { byteChat.render($0.conversation) }
    let short = rows.map { RenderedConversation(ids: Array($0.ids.suffix(10)), mask: Array($0.mask.suffix(10))) }
    let batches = ConversationBatches(short, batchSize: 2, contextLength: 16, paddingId: 256).probeBatches(count: 1)
    let (loss, n) = ChatEvaluation.assistantLoss(model, batches: batches)
    let direct = model.forward(inputs: batches[0].x, targets: batches[0].y, B: 2, T: 16)!
    #expect(n == batches[0].targetCount && abs(loss - direct) < 1e-6)
  }
}
