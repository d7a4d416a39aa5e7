// Chapter 09 introduces this file: measuring a chat model on held-out prompts, before and after fine-tuning.

/// What the model answered to one held-out prompt.
public struct ChatAnswer: Equatable, Sendable {
  public var family: String
  public var expected: String
  /// The reply up to its `<|assistant_end|>` (or all of it if it never ended).
  public var text: String
  /// Whether `<|assistant_end|>` came within the token limit: the format was kept.
  public var ended: Bool
  /// Whether the reply is the expected answer (scored families only; see `ChatEvaluation.matches`).
  public var correct: Bool
}

/// One family's row of the table.
public struct FamilyScore: Equatable, Sendable {
  public var family: String
  public var isScored: Bool
  public var prompts: Int
  public var ended: Int
  public var correct: Int
  public var baseline: MajorityBaseline?

  /// The share of replies that ended with `<|assistant_end|>` within the limit.
  public var formatAdherence: Double { prompts == 0 ? 0 : Double(ended) / Double(prompts) }
  /// The share of exactly right answers.
  public var accuracy: Double { prompts == 0 ? 0 : Double(correct) / Double(prompts) }
}

/// The scores of a model on a set of held-out prompts.
public struct ChatScore: Equatable, Sendable {
  public var families: [FamilyScore]
  public var answers: [ChatAnswer]

  /// Format adherence over every prompt of every family.
  public var formatAdherence: Double {
    answers.isEmpty ? 0 : Double(answers.filter(\.ended).count) / Double(answers.count)
  }

  public func family(_ name: String) -> FamilyScore? { families.first { $0.family == name } }

  /// The table a chapter prints, one line per family (prefix each with `[info ]`):
  ///
  /// ```
  /// family        prompts  format   exact  majority
  /// speaker           126   96.8%   38.9%     16.7%  (King Richard)
  /// continue          200   99.0%       -         -
  /// ```
  public func table() -> [String] {
    func cell(_ text: String, _ width: Int) -> String {
      String(repeating: " ", count: max(0, width - text.count)) + text
    }
    func percent(_ x: Double) -> String { (100 * x).formatted(decimals: 1) + "%" }
    var lines = ["family        prompts  format   exact  majority"]
    for row in families {
      var line = row.family.padding(toLength: 12, withPad: " ", startingAt: 0)
      line += cell("\(row.prompts)", 9) + cell(percent(row.formatAdherence), 8)
      if row.isScored, let baseline = row.baseline {
        line += cell(percent(row.accuracy), 8) + cell(percent(baseline.heldOutShare), 10)
        line += "  (\(baseline.answer.count > 24 ? baseline.answer.prefix(21) + "..." : baseline.answer))"
      } else {
        line += cell(row.isScored ? percent(row.accuracy) : "-", 8) + cell("-", 10)
      }
      lines.append(line)
    }
    return lines
  }
}

/// Scores a chat model through a `generate` closure, so it works for any model (or a fake one
/// in tests): format adherence, exact-match accuracy per family beside its majority baseline,
/// and the mean loss on assistant tokens.
public enum ChatEvaluation {
  /// Asks every example's prompt and scores the replies.
  ///
  /// - Parameters:
  ///   - examples: held-out examples (`ShakespeareTasks.heldOut`); each is prompted with
  ///     `format.renderPrompt(example.prompt)`, earlier turns of a multi-turn example included.
  ///   - baselines: the majority baseline of each scored family (`ShakespeareTasks.baselines`).
  ///   - limit: the most tokens a reply may take; `<|assistant_end|>` must come within them.
  ///   - generate: `(promptIds, limit) -> reply ids`, e.g. greedy decoding stopped at
  ///     `format.assistantEndId`. Tokens after the first `<|assistant_end|>` are ignored.
  public static func score(
    _ examples: [TaskExample], format: ChatFormat, baselines: [String: MajorityBaseline], limit: Int,
    generate: (_ promptIds: [Int], _ limit: Int) -> [Int]
  ) -> ChatScore {
    var answers: [ChatAnswer] = []
    var families: [FamilyScore] = []
    for example in examples {
      let reply = Array(generate(format.renderPrompt(example.prompt), limit).prefix(limit))
      let (text, ended) = format.answer(reply)
      let correct = example.isScored && matches(text, expected: example.answer)
      answers.append(
        ChatAnswer(family: example.family, expected: example.answer, text: text, ended: ended, correct: correct))
      if !families.contains(where: { $0.family == example.family }) {
        families.append(
          FamilyScore(
            family: example.family, isScored: example.isScored, prompts: 0, ended: 0, correct: 0,
            baseline: baselines[example.family]))
      }
      let row = families.firstIndex { $0.family == example.family }!
      families[row].prompts += 1
      families[row].ended += ended ? 1 : 0
      families[row].correct += correct ? 1 : 0
    }
    return ChatScore(families: families, answers: answers)
  }

  /// Exact match, after trimming spaces and newlines around the reply's first line: a base
  /// model that never learned `<|assistant_end|>` is still credited when its first line is the
  /// answer, so accuracy and format are measured apart.
  ///
  /// ```
  /// matches(" Menenius\nWhat work's...", expected: "Menenius")   // true
  /// matches("Menenius Agrippa", expected: "Menenius")             // false
  /// ```
  public static func matches(_ reply: String, expected: String) -> Bool {
    let firstLine = reply.drop { $0 == " " || $0 == "\n" }.prefix { $0 != "\n" }
    return firstLine.trimmingSuffix(" ") == expected
  }

  /// The mean loss over every counted (non-negative) target of `batches`, given `loss`, the
  /// mean over one batch's counted targets (what `GPT.forward(inputs:targets:B:T:)` returns).
  /// Batch means are weighted by their counts, so the result is the mean over all counted
  /// tokens; a batch with none counted adds nothing (never a NaN). Returns the mean and the count.
  ///
  /// ```
  /// batch 1: 3 counted, mean 2.0;  batch 2: 1 counted, mean 6.0   ->  (3*2 + 1*6) / 4 = 3.0
  /// ```
  public static func assistantLoss(_ batches: [Batch], loss: (Batch) -> Float) -> (loss: Float, counted: Int) {
    var total: Double = 0
    var counted = 0
    for batch in batches {
      let n = batch.targetCount
      guard n > 0 else { continue }
      total += Double(loss(batch)) * Double(n)
      counted += n
    }
    return (counted == 0 ? 0 : Float(total / Double(counted)), counted)
  }

  /// `assistantLoss` with a model's forward pass (no dropout, no gradients kept).
  public static func assistantLoss(_ model: GPT, batches: [Batch]) -> (loss: Float, counted: Int) {
    assistantLoss(batches) { batch in model.forward(inputs: batch.x, targets: batch.y, B: batch.B, T: batch.T) ?? 0 }
  }
}

extension Substring {
  fileprivate func trimmingSuffix(_ character: Character) -> Substring {
    var text = self
    while text.last == character { text = text.dropLast() }
    return text
  }
}
