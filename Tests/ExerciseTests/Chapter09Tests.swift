import Exercises
import Foundation
import GPTKit
import Solutions
import Testing

/// Graders for chapter 09 (see Chapter00Tests.swift for how graders are run).
enum Chapter09Grader {
  /// Bytes are their own ids, `<|endoftext|>` is 256, the turn tokens 257-260: readable masks.
  static let format = ChatFormat(
    extending: BPETokenizer(
      ranks: (0..<256).map { [UInt8($0)] }, pattern: .gpt2, specialTokens: ["<|endoftext|>": 256]))

  static let conversations: [(String, Conversation)] = [
    ("one turn", Conversation([Message(.user, "Who speaks?"), Message(.assistant, "Menenius")])),
    (
      "two turns",
      Conversation([
        Message(.user, "hi"), Message(.assistant, "well met"), Message(.user, "bye"), Message(.assistant, "adieu"),
      ])
    ),
    ("an empty answer", Conversation([Message(.user, "say nothing"), Message(.assistant, "")])),
    ("a prompt only", Conversation([Message(.user, "and now?")])),
  ]

  static func mask(_ answer: ([Int], ChatFormat) throws -> [UInt8]) throws -> String? {
    for (name, conversation) in conversations {
      let rendered = format.render(conversation)
      let got = try answer(rendered.ids, format)
      guard got.count == rendered.count else {
        return "\(name): the mask has \(got.count) entries for \(rendered.count) ids"
      }
      if let t = rendered.mask.indices.first(where: { got[$0] != rendered.mask[$0] }) {
        let token = format.tokenizer.decode([rendered.ids[t]])
        let why =
          rendered.mask[t] == 1
          ? (rendered.ids[t] == format.assistantEndId
            ? "the end token is learned, so the model learns to stop" : "the assistant says it")
          : "it is context (boundary, user turn or a start marker), not something the model says"
        return
          "\(name): the mask at position \(t) (\(token.debugDescription)) is \(got[t]), "
          + "want \(rendered.mask[t]): \(why)"
      }
    }
    return nil
  }

  /// Logits `(2, 3, 5)` and targets with three counted positions in row 1 and one in row 0,
  /// so the mean over counted tokens differs from the mean over rows and over all positions.
  static let (B, T, V) = (2, 3, 5)
  static let logits: [Float] = {
    var rng = SplitMix64(seed: 9)
    return (0..<(B * T * V)).map { _ in 2 * rng.nextNormal() }
  }()
  static let cases: [(String, [Int32])] = [
    ("rows counting 1 and 3 targets", [1, -1, -1, 2, 0, 4]),
    ("every target counted", [0, 1, 2, 3, 4, 0]),
    ("nothing counted", [-1, -1, -1, -1, -1, -1]),
  ]

  static func meanLoss(_ answer: ([Float], [Int32], Int, Int, Int) throws -> Float) throws -> String? {
    for (name, targets) in cases {
      var losses: [Double] = []
      for n in 0..<(B * T) where targets[n] >= 0 {
        let row = logits[(n * V)..<(n * V + V)].map(Double.init)
        losses.append(log(row.map(exp).reduce(0, +)) - row[Int(targets[n])])
      }
      let want = losses.isEmpty ? 0 : losses.reduce(0, +) / Double(losses.count)
      let got = try answer(logits, targets, B, T, V)
      if !(abs(Double(got) - want) < 1e-4) {
        return "\(name) (targets \(targets)): got \(got), want \(Float(want)), the mean over the "
          + "\(losses.count) counted positions\(losses.isEmpty ? " (0 when none, never NaN)" : "")"
      }
    }
    return nil
  }
}

@Suite("09 exercises")
struct Chapter09Exercises {
  @Test(
    "9.1 the mask of a rendered conversation",
    .enabled(if: isAttempted { _ = try assistantMask([], format: Chapter09Grader.format) }, "not attempted yet"))
  func mask() throws {
    let failure = try Chapter09Grader.mask { try assistantMask($0, format: $1) }
    #expect(failure == nil, "\(failure ?? "")")
  }

  @Test(
    "9.2 the masked mean loss",
    .enabled(if: isAttempted { _ = try maskedMeanLoss(logits: [], targets: [], B: 0, T: 0, V: 0) }, "not attempted yet")
  )
  func meanLoss() throws {
    let failure = try Chapter09Grader.meanLoss { try maskedMeanLoss(logits: $0, targets: $1, B: $2, T: $3, V: $4) }
    #expect(failure == nil, "\(failure ?? "")")
  }
}

@Suite("09 graders accept the solutions and reject wrong answers")
struct Chapter09Graders {
  @Test func mask() throws {
    #expect(try Chapter09Grader.mask(Chapter09.assistantMask) == nil)
    // Wrong: every message's content is learned, the user's included.
    let userToo = try Chapter09Grader.mask { ids, format in
      let markers = [format.endOfTextId, format.userStartId, format.userEndId, format.assistantStartId]
      return ids.map { markers.contains($0) ? 0 : 1 }
    }
    #expect(userToo?.contains("\"W\"") == true)
    // Wrong: the assistant's words are learned but not its end token, so it never learns to stop.
    let noEnd = try Chapter09Grader.mask { ids, format in
      Chapter09.assistantMask(ids, format: format).enumerated().map { ids[$0] == format.assistantEndId ? 0 : $1 }
    }
    #expect(noEnd?.contains("learns to stop") == true)
  }

  @Test func meanLoss() throws {
    #expect(try Chapter09Grader.meanLoss(Chapter09.maskedMeanLoss) == nil)
    // Wrong: divides by every position, counted or not.
    #expect(
      try Chapter09Grader.meanLoss { logits, targets, B, T, V in
        let counted = Float(targets.filter { $0 >= 0 }.count)
        return Chapter09.maskedMeanLoss(logits: logits, targets: targets, B: B, T: T, V: V) * counted / Float(B * T)
      } != nil)
    // Wrong: the mean of each row's mean, so a row with one counted token weighs as much as one with three.
    #expect(
      try Chapter09Grader.meanLoss { logits, targets, B, T, V in
        let rows = (0..<B).map { b in
          Chapter09.maskedMeanLoss(
            logits: Array(logits[(b * T * V)..<((b + 1) * T * V)]), targets: Array(targets[(b * T)..<((b + 1) * T)]),
            B: 1, T: T, V: V)
        }
        return rows.reduce(0, +) / Float(B)
      } != nil)
  }
}
