// Chapter 09 introduces this file: the kinds of question the fine-tuned model learns to answer.

/// One question-and-answer conversation made from the corpus.
public struct TaskExample: Equatable, Sendable {
  /// The family's name, e.g. `"speaker"`.
  public var family: String
  /// The speech it was made from (nil for fixed turns such as the identity questions).
  public var speechIndex: Int?
  public var conversation: Conversation
  /// Whether the answer is one exact string a reply can be compared with.
  public var isScored: Bool

  /// The conversation without its last (assistant) turn: what the model is prompted with.
  public var prompt: Conversation { Conversation(Array(conversation.messages.dropLast())) }
  /// The last assistant turn: the expected answer.
  public var answer: String { conversation.messages.last?.content ?? "" }

  public init(family: String, speechIndex: Int?, conversation: Conversation, isScored: Bool) {
    (self.family, self.speechIndex, self.conversation, self.isScored) = (family, speechIndex, conversation, isScored)
  }
}

/// A kind of question, with the rule that turns speeches into examples of it.
///
/// **Adding a family:** write a struct that conforms (a `name`, whether it `isScored`, and
/// `examples(from:heldOut:)`, usually one `example(...)` per suitable speech), then add it to
/// the list `ShakespeareTasks.defaultFamilies` returns (or pass your own list to
/// `ShakespeareTasks.init`). The split into training and held-out speeches, the counts, the
/// majority baseline and the scoring then work for it unchanged. A scored family should have
/// few distinct answers, each short, so that exact match is fair and a baseline means something.
public protocol TaskFamily: Sendable {
  var name: String { get }
  var isScored: Bool { get }
  /// The examples this family makes from the speeches of one side of the split; `heldOut`
  /// says which side (a family with fixed turns can ask differently there).
  func examples(from speeches: [Speech], heldOut: Bool) -> [TaskExample]
}

extension TaskFamily {
  /// A one-turn example of this family.
  public func example(_ question: String, _ answer: String, speech: Speech?) -> TaskExample {
    TaskExample(
      family: name, speechIndex: speech?.index,
      conversation: Conversation([Message(.user, question), Message(.assistant, answer)]), isScored: isScored)
  }
}

/// "Who speaks these lines?" -> the speaker, for the speeches of a few frequent speakers.
public struct WhoSpeaks: TaskFamily {
  public let name = "speaker"
  public let isScored = true
  public let speakers: Set<String>
  /// How many of the speech's first lines the question quotes.
  public let quotedLines: Int

  public init(speakers: Set<String>, quotedLines: Int = 2) {
    (self.speakers, self.quotedLines) = (speakers, quotedLines)
  }

  public func examples(from speeches: [Speech], heldOut: Bool) -> [TaskExample] {
    speeches.filter { speakers.contains($0.speaker) }.map { speech in
      example(
        "Who speaks these lines?\n" + speech.lines.prefix(quotedLines).joined(separator: "\n"), speech.speaker,
        speech: speech)
    }
  }

  /// The `count` speakers with the most speeches (ties broken by name, so the choice is fixed).
  public static func mostFrequent(_ count: Int, in speeches: [Speech]) -> [String] {
    var speechesBy: [String: Int] = [:]
    for speech in speeches { speechesBy[speech.speaker, default: 0] += 1 }
    return speechesBy.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(count).map(\.key)
  }
}

/// "Which play is this from?" with the speaker and first line -> the play's title.
public struct WhichPlay: TaskFamily {
  public let name = "play"
  public let isScored = true
  public init() {}

  public func examples(from speeches: [Speech], heldOut: Bool) -> [TaskExample] {
    speeches.compactMap { speech in
      speech.play.map { example("Which play is this from?\n\(speech.speaker): \(speech.lines[0])", $0, speech: speech) }
    }
  }
}

/// "How many lines does this speech have?" -> "1" ... "maximum", with as many speeches of
/// each length (the rarest length's count), so the majority baseline is 1 / maximum.
public struct LineCount: TaskFamily {
  public let name = "lines"
  public let isScored = true
  public let maximum: Int

  public init(maximum: Int = 4) {
    self.maximum = maximum
  }

  public func examples(from speeches: [Speech], heldOut: Bool) -> [TaskExample] {
    let byLength = (1...maximum).map { n in speeches.filter { $0.lines.count == n } }
    let each = byLength.map(\.count).min() ?? 0
    return byLength.flatMap { $0.prefix(each) }.map { speech in
      example(
        "How many lines does this speech have?\n" + speech.lines.joined(separator: "\n"), "\(speech.lines.count)",
        speech: speech)
    }
  }
}

/// "Continue this speech as SPEAKER:" and its first line -> the next lines. Free text: the
/// loss on it is measured, exact match is not.
public struct ContinueSpeech: TaskFamily {
  public let name = "continue"
  public let isScored = false
  public let continuationLines: Int

  public init(continuationLines: Int = 2) {
    self.continuationLines = continuationLines
  }

  public func examples(from speeches: [Speech], heldOut: Bool) -> [TaskExample] {
    speeches.filter { $0.lines.count >= 2 }.map { speech in
      example(
        "Continue this speech as \(speech.speaker):\n\(speech.lines[0])",
        speech.lines.dropFirst().prefix(continuationLines).joined(separator: "\n"), speech: speech)
    }
  }
}

/// Two turns on one speech: who speaks it, then which play it is from. Teaches the model that
/// a conversation goes on after `<|assistant_end|>`; scored on the second answer.
public struct SpeakerThenPlay: TaskFamily {
  public let name = "speaker+play"
  public let isScored = true
  public let speakers: Set<String>

  public init(speakers: Set<String>) {
    self.speakers = speakers
  }

  public func examples(from speeches: [Speech], heldOut: Bool) -> [TaskExample] {
    speeches.filter { speakers.contains($0.speaker) && $0.play != nil }.map { speech in
      let messages = [
        Message(.user, "Who speaks this line?\n\(speech.lines[0])"), Message(.assistant, speech.speaker),
        Message(.user, "Which play is it from?"), Message(.assistant, speech.play!),
      ]
      return TaskExample(family: name, speechIndex: speech.index, conversation: Conversation(messages), isScored: true)
    }
  }
}

/// A few fixed questions about the model itself, repeated `copies` times in training (nanochat
/// mixes identity conversations in the same way). Held out are other wordings of the same
/// questions: the answers were seen in training, the questions were not.
public struct Identity: TaskFamily {
  public let name = "identity"
  public let isScored = true
  public let copies: Int

  public init(copies: Int = 20) {
    self.copies = copies
  }

  static let who = "I am a small GPT, trained on Shakespeare's plays and fine-tuned to answer questions about them."
  static let what =
    "I can say who speaks a line, which play it is from, how many lines a speech has, and go on with a speech."
  static let maker = "I was built from scratch in Swift, one chapter at a time, in a workbook about how a GPT works."
  static let training: [(String, String)] = [
    ("Who are you?", who), ("What are you?", who), ("Tell me about yourself.", who),
    ("What can you do?", what), ("How can you help me?", what),
    ("Who made you?", maker), ("How were you built?", maker),
  ]
  static let heldOutTurns: [(String, String)] = [
    ("Who are you, exactly?", who), ("What can you do for me?", what), ("Who built you?", maker),
  ]

  public func examples(from speeches: [Speech], heldOut: Bool) -> [TaskExample] {
    let turns = heldOut ? Self.heldOutTurns : Self.training
    let once = turns.map { example($0.0, $0.1, speech: nil) }
    return heldOut ? once : (0..<copies).flatMap { _ in once }
  }
}
