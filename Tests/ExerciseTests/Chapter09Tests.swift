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

  /// LoRA shapes with `in`, `out` and `r` all different (5, 3, 2), so a missing transpose
  /// cannot pass, and a scale that is not 1, so a dropped `α/r` cannot either.
  static let lora: (x: Tensor, A: Tensor, B: Tensor, W: Tensor, scale: Float) = {
    var rng = SplitMix64(seed: 11)
    let (x, A) = (Tensor.randn([4, 5], rng: &rng), Tensor.randn([2, 5], rng: &rng))
    return (x, A, Tensor.randn([3, 2], rng: &rng), Tensor.randn([5, 3], rng: &rng), 2.5)
  }()

  /// `scale · (x · Aᵀ) · Bᵀ` with loops, the definition.
  static func loraReference(_ x: Tensor, _ A: Tensor, _ B: Tensor, _ scale: Float) -> Tensor {
    let (N, inF, r, outF) = (x.shape[0], x.shape[1], A.shape[0], B.shape[0])
    var delta = Tensor(shape: [N, outF])
    for n in 0..<N {
      for o in 0..<outF {
        var sum: Float = 0
        for k in 0..<r { for i in 0..<inF { sum += x[n, i] * A[k, i] * B[o, k] } }
        delta[n, o] = scale * sum
      }
    }
    return delta
  }

  static func loraForward(_ answer: (Tensor, Tensor, Tensor, Float) throws -> Tensor) throws -> String? {
    let (x, A, B, _, scale) = lora
    let got = try answer(x, A, B, scale)
    guard got.shape == [4, 3] else { return "delta must be (N, out) = [4, 3], got \(got.shape)" }
    let want = loraReference(x, A, B, scale)
    let diff = got.maxAbsDifference(want)
    guard diff > 1e-4 else { return nil }
    let ratio = got.storage[0] / want.storage[0]
    return "delta differs from scale · (x·Aᵀ)·Bᵀ by up to \(diff) (first element \(ratio)x the expected one"
      + (abs(ratio - 1 / scale) < 1e-3 ? ": the scale α/r is missing)" : ")")
  }

  static func loraBackward(
    _ answer: @escaping (Tensor, Tensor, Tensor, Tensor, Float) throws -> (dX: Tensor, dA: Tensor, dB: Tensor)
  ) throws -> String? {
    let (x, A, B, _, scale) = lora
    let shapes = try answer(Tensor(shape: [4, 3], repeating: 1), x, A, B, scale)
    guard shapes.dX.shape == x.shape, shapes.dA.shape == A.shape, shapes.dB.shape == B.shape else {
      return "gradients must have their tensors' shapes: dX \(x.shape), dA \(A.shape), dB \(B.shape); "
        + "got \(shapes.dX.shape), \(shapes.dA.shape), \(shapes.dB.shape)"
    }
    let checks: [(String, Tensor, (Tensor) -> Tensor, (Tensor) throws -> Tensor)] = [
      ("dX", x, { loraReference($0, A, B, scale) }, { try answer($0, x, A, B, scale).dX }),
      ("dA", A, { loraReference(x, $0, B, scale) }, { try answer($0, x, A, B, scale).dA }),
      ("dB", B, { loraReference(x, A, $0, scale) }, { try answer($0, x, A, B, scale).dB }),
    ]
    for (name, tensor, forward, gradient) in checks {
      if let failure = try gradeBackward(tensor, forward: forward, answer: gradient) { return "\(name): \(failure)" }
    }
    return nil
  }

  static func merge(_ answer: (Tensor, Tensor, Tensor, Float) throws -> Tensor) throws -> String? {
    let (x, A, B, W, scale) = lora
    let merged = try answer(W, A, B, scale)
    guard merged.shape == W.shape else { return "the merged weight must keep the layer's (in, out) = \(W.shape)" }
    let diff = matmul(x, merged).maxAbsDifference(matmul(x, W) + loraReference(x, A, B, scale))
    return diff < 1e-4 ? nil : "x · merged differs from x · W + delta by up to \(diff)"
  }
}

@Suite("09 exercises")
struct Chapter09Exercises {
  @Test("9.1 the mask of a rendered conversation", .enabled(if: Gradebook.attempted("9.1"), "not attempted yet"))
  func mask() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter09Grader.mask { try assistantMask($0, format: $1) } }
    }
    Gradebook.record("9.1", result)
  }

  @Test("9.2 the masked mean loss", .enabled(if: Gradebook.attempted("9.2"), "not attempted yet"))
  func meanLoss() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter09Grader.meanLoss { try maskedMeanLoss(logits: $0, targets: $1, B: $2, T: $3, V: $4) }
      }
    }
    Gradebook.record("9.2", result)
  }

  @Test("9.3 LoRA forward", .enabled(if: Gradebook.attempted("9.3"), "not attempted yet"))
  func loraForward() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter09Grader.loraForward { try Exercises.loraForward($0, A: $1, B: $2, scale: $3) } }
    }
    Gradebook.record("9.3", result)
  }

  @Test("9.3 LoRA backward", .enabled(if: Gradebook.attempted("9.3"), "not attempted yet"))
  func loraBackward() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report {
        try Chapter09Grader.loraBackward { try Exercises.loraBackward($0, x: $1, A: $2, B: $3, scale: $4) }
      }
    }
    Gradebook.record("9.3", result)
  }

  @Test("9.4 the merge", .enabled(if: Gradebook.attempted("9.4"), "not attempted yet"))
  func merge() async {
    let result = await #expect(processExitsWith: Gradebook.graded, observing: Gradebook.observed) {
      Gradebook.report { try Chapter09Grader.merge { try loraMerge(weight: $0, A: $1, B: $2, scale: $3) } }
    }
    Gradebook.record("9.4", result)
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

  @Test func lora() throws {
    #expect(try Chapter09Grader.loraForward(Chapter09.loraForward) == nil)
    #expect(try Chapter09Grader.loraBackward(Chapter09.loraBackward) == nil)
    #expect(try Chapter09Grader.merge(Chapter09.loraMerge) == nil)
    // Wrong: the scale α/r forgotten in the forward.
    let unscaled = try Chapter09Grader.loraForward { x, A, B, _ in Chapter09.loraForward(x, A: A, B: B, scale: 1) }
    #expect(unscaled?.contains("the scale α/r is missing") == true)
    // Wrong: dB without the scale (the forward multiplies by it, so its gradient must too).
    let dBUnscaled = try Chapter09Grader.loraBackward { d, x, A, B, s in
      let g = Chapter09.loraBackward(d, x: x, A: A, B: B, scale: s)
      return (g.dX, g.dA, (1 / s) * g.dB)
    }
    #expect(dBUnscaled?.hasPrefix("dB: the gradient check fails") == true)
    // Wrong: dA computed as x · dH's transpose the other way round, (in, r) instead of (r, in).
    let dATransposed = try Chapter09Grader.loraBackward { d, x, A, B, s in
      let g = Chapter09.loraBackward(d, x: x, A: A, B: B, scale: s)
      return (g.dX, g.dA.transposed(), g.dB)
    }
    #expect(dATransposed?.contains("gradients must have their tensors' shapes") == true)
    // Wrong: merging without the scale.
    let mergedUnscaled = try Chapter09Grader.merge { W, A, B, _ in Chapter09.loraMerge(weight: W, A: A, B: B, scale: 1)
    }
    #expect(mergedUnscaled?.contains("differs from x · W + delta") == true)
  }
}
