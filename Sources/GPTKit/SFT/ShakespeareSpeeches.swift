// Chapter 09 introduces this file: the speeches of the bundled corpus, with speaker and play.

/// One speech: who says it, in which play, and its lines.
public struct Speech: Equatable, Sendable {
  /// Its position among all speeches of the text, from 0.
  public var index: Int
  public var speaker: String
  /// The play's title, or nil when the text is not the bundled corpus (see `ShakespearePlays`).
  public var play: String?
  public var lines: [String]
}

/// The plays of `corpora/shakespeare.txt`, in the order `corpora/build_shakespeare.py` joins
/// them, each with the first line of its first speech.
///
/// The build script separates plays by the same blank line it puts between speeches, so the
/// text alone does not say where a play ends. These openings do: each is looked up as a whole
/// line, the first one after the previous play's opening, and a play runs from its opening
/// to the next. (Romeo and Juliet's source prints speakers as `Sampson.`, not `SAMPSON.`, so
/// the build script kept them as text and this parser finds almost no speeches in it.)
public enum ShakespearePlays {
  public static let openings: [(title: String, firstLine: String)] = [
    ("Coriolanus", "Before we proceed any further, hear me speak."),
    ("Richard III", "Now is the winter of our discontent"),
    ("Richard II", "Old John of Gaunt, time-honoured Lancaster,"),
    ("Romeo and Juliet", "Gregory, o' my word, we'll not carry coals."),
    ("The Winter's Tale", "If you shall chance, Camillo, to visit Bohemia, on the"),
    ("Measure for Measure", "Escalus,--"),
    ("The Taming of the Shrew", "I'll pheeze you, in faith."),
    ("The Tempest", "Boatswain!"),
  ]

  /// The line number (from 0) where each play starts, or nil unless every opening is found in order.
  public static func starts(_ lines: [Substring]) -> [Int]? {
    var starts: [Int] = []
    var from = 0
    for (_, firstLine) in openings {
      guard let at = lines[from...].firstIndex(where: { $0 == firstLine }) else { return nil }
      starts.append(at)
      from = at + 1
    }
    return starts
  }
}

extension Speech {
  /// Every speech of a text in the corpus's shape: a line `Speaker:` then the speech's lines,
  /// speeches separated by blank lines. A block of lines without a speaker line (or with
  /// nothing after it) is not a speech and is skipped.
  ///
  /// ```
  /// "Menenius:\nWhat work's, my countrymen,\nin hand?\n\nAll:\nSpeak.\n"
  ///   -> [Speech(0, "Menenius", [2 lines]), Speech(1, "All", ["Speak."])]
  /// ```
  public static func parse(_ text: String) -> [Speech] {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let playStarts = ShakespearePlays.starts(lines)
    var speeches: [Speech] = []
    var block: [Substring] = []
    var blockStart = 0
    func endBlock() {
      defer { block.removeAll() }
      guard block.count >= 2, let speaker = speakerName(block[0]) else { return }
      // A speech belongs to the last play whose opening line is at or before its first
      // spoken line (the line after the speaker's name).
      let play = playStarts.flatMap { starts in
        starts.lastIndex { $0 <= blockStart + 1 }.map { ShakespearePlays.openings[$0].title }
      }
      speeches.append(
        Speech(index: speeches.count, speaker: speaker, play: play, lines: block.dropFirst().map(String.init)))
    }
    for (i, line) in lines.enumerated() {
      if line.isEmpty {
        endBlock()
      } else {
        if block.isEmpty { blockStart = i }
        block.append(line)
      }
    }
    endBlock()
    return speeches
  }

  /// `"First Citizen:"` -> `"First Citizen"`: a capitalised name of letters, spaces and `'&,-`,
  /// then a colon; nil for any other line.
  static func speakerName(_ line: Substring) -> String? {
    guard line.count >= 2, line.last == ":", let first = line.first, first.isUppercase else { return nil }
    let name = line.dropLast()
    let allowed = name.allSatisfy { $0.isLetter || " '&,-".contains($0) }
    return allowed ? String(name) : nil
  }
}
