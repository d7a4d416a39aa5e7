// Chapter 09 introduces this file: the fine-tuning data, generated from the corpus with a seed.

/// The answer a model that always says the same thing would give, and how often it is right.
public struct MajorityBaseline: Equatable, Sendable {
  /// The most frequent answer among the *training* examples.
  public var answer: String
  /// The share of held-out examples whose answer it is: the accuracy to beat.
  public var heldOutShare: Double
}

/// Conversations made deterministically from the speeches of the corpus, in task families,
/// with a training side and a held-out side split *by speech*.
///
/// The speeches (see `Speech.parse`) are shuffled with the project's `SplitMix64(seed:)` and
/// the first `heldOutFraction` of them are held out: no example of any family is trained on a
/// held-out speech, so every held-out prompt quotes a speech fine-tuning never used. (The base
/// model read all of the corpus in pretraining, held-out speeches included: what is held out
/// is the question about them, not the text. The book says so.)
///
/// ```
/// let tasks = ShakespeareTasks(text: try Corpus.load(Corpus.shakespeare))
/// tasks.train.count, tasks.heldOut.count     // thousands, hundreds
/// tasks.baseline("speaker")                  // the most frequent speaker and its held-out share
/// ```
public struct ShakespeareTasks: Sendable {
  public struct Options: Sendable {
    public var seed: UInt64 = 1337
    /// The share of speeches held out (by speech, across every family).
    public var heldOutFraction = 0.1
    /// "Who speaks" asks only about this many of the most frequent speakers (in training).
    public var speakerCount = 8
    /// At most this many training examples per family (nil: all of them).
    public var maxTrainPerFamily: Int?
    /// At most this many held-out examples per family, to keep evaluation quick.
    public var maxHeldOutPerFamily = 200
    public init() {}
  }

  public let options: Options
  public let speeches: [Speech]
  /// `Speech.index` of every held-out speech.
  public let heldOutSpeeches: Set<Int>
  public let familyNames: [String]
  public let train: [TaskExample]
  public let heldOut: [TaskExample]
  /// Held-out examples dropped because their question is word for word a training question.
  public let heldOutRepeatsRemoved: Int

  /// Parses `text`, splits its speeches and asks every family for its examples. `families`
  /// defaults to `defaultFamilies(trainSpeeches:options:)`.
  public init(text: String, options: Options = Options(), families: [any TaskFamily]? = nil) {
    self.options = options
    let speeches = Speech.parse(text)
    self.speeches = speeches
    var order = Array(speeches.indices)
    var rng = SplitMix64(seed: options.seed)
    rng.shuffle(&order)
    let heldOutCount = Int((Double(speeches.count) * options.heldOutFraction).rounded())
    heldOutSpeeches = Set(order.prefix(heldOutCount))
    let trainSpeeches = order.dropFirst(heldOutCount).map { speeches[$0] }  // in the shuffled order
    let heldOutSide = order.prefix(heldOutCount).map { speeches[$0] }
    let families = families ?? Self.defaultFamilies(trainSpeeches: trainSpeeches, options: options)
    familyNames = families.map(\.name)
    let maxTrain = options.maxTrainPerFamily
    train = families.flatMap { family in
      let all = family.examples(from: trainSpeeches, heldOut: false)
      return maxTrain.map { Array(all.prefix($0)) } ?? all
    }
    // A short line ("My lord.") recurs in many speeches: a held-out question that is word for
    // word a training question is not held out, so it goes (and is counted).
    let trainedPrompts = Set(train.map(\.prompt))
    let maxHeldOut = options.maxHeldOutPerFamily
    let asked = families.map { $0.examples(from: heldOutSide, heldOut: true) }
    heldOut = asked.flatMap { $0.filter { !trainedPrompts.contains($0.prompt) }.prefix(maxHeldOut) }
    heldOutRepeatsRemoved = asked.joined().filter { trainedPrompts.contains($0.prompt) }.count
  }

  /// The families chapter 09 trains on: who speaks (the `speakerCount` most frequent
  /// speakers), which play, how many lines, continue a speech, who speaks then which play
  /// (two turns), and the identity questions.
  public static func defaultFamilies(trainSpeeches: [Speech], options: Options) -> [any TaskFamily] {
    let speakers = Set(WhoSpeaks.mostFrequent(options.speakerCount, in: trainSpeeches))
    return [
      WhoSpeaks(speakers: speakers), WhichPlay(), LineCount(), ContinueSpeech(), SpeakerThenPlay(speakers: speakers),
      Identity(),
    ]
  }

  /// The training and held-out examples of one family.
  public func examples(_ family: String) -> (train: [TaskExample], heldOut: [TaskExample]) {
    (train.filter { $0.family == family }, heldOut.filter { $0.family == family })
  }

  /// The majority-class baseline of a family: its most frequent training answer (ties broken
  /// by the answer's text) and that answer's share of the held-out examples.
  public func baseline(_ family: String) -> MajorityBaseline {
    let (trainSide, heldOutSide) = examples(family)
    var counts: [String: Int] = [:]
    for example in trainSide { counts[example.answer, default: 0] += 1 }
    let answer = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? ""
    let hits = heldOutSide.filter { $0.answer == answer }.count
    return MajorityBaseline(
      answer: answer, heldOutShare: heldOutSide.isEmpty ? 0 : Double(hits) / Double(heldOutSide.count))
  }

  /// The baselines of every scored family, by name.
  public var baselines: [String: MajorityBaseline] {
    var out: [String: MajorityBaseline] = [:]
    for name in familyNames where heldOut.contains(where: { $0.family == name && $0.isScored }) {
      out[name] = baseline(name)
    }
    return out
  }

  /// One line per family for a chapter to print: its sizes, its baseline, and the median and
  /// longest length in tokens of its training conversations as `format` renders them.
  ///
  /// ```
  /// speaker: 1177 train, 126 held out | majority 16.7% (King Richard) | 52 tokens median, 96 max
  /// ```
  public func summary(format: ChatFormat) -> [String] {
    familyNames.map { name in
      let (trainSide, heldOutSide) = examples(name)
      var line = "\(name): \(trainSide.count) train, \(heldOutSide.count) held out"
      if let baseline = baselines[name] {
        line += " | majority \((100 * baseline.heldOutShare).formatted(decimals: 1))% (\(baseline.answer.prefix(24)))"
      }
      let lengths = trainSide.map { format.render($0.conversation).count }.sorted()
      if let longest = lengths.last { line += " | \(lengths[lengths.count / 2]) tokens median, \(longest) max" }
      return line
    }
  }
}
