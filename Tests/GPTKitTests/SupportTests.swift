import Testing

@testable import GPTKit

@Suite("00 tensors: chapter support")
struct SupportTests {
  let options = [Option("steps", "training steps", default: "10"), Option(flag: "resume", "resume")]

  /// A run resumed at step 1,000 of 1,500 that took 10 s for its first 100 steps has 40 s
  /// left, not 10 / 1,100 × 400 s: the rate counts only the steps done since it started.
  @Test func timeLeftAfterAResumeCountsOnlyNewSteps() {
    let resumed = ProgressLine(total: 1500, from: 1000)
    #expect(abs(resumed.remaining(done: 1100, elapsed: 10) - 40) < 1e-9)
    #expect(resumed.remaining(done: 1000, elapsed: 0) == 0)
    #expect(abs(ProgressLine(total: 10).remaining(done: 5, elapsed: 5) - 5) < 1e-9)
  }

  /// The summary line counts in the singular when a run made one check.
  @Test func summaryCountsChecksInWords() {
    #expect(ChapterReport.summary(passed: 7, failed: []) == "all 7 checks OK")
    #expect(ChapterReport.summary(passed: 1, failed: []) == "1 check OK")
    #expect(ChapterReport.summary(passed: 5, failed: ["a", "b"]) == "2 of 7 checks FAILED: a; b")
    #expect(ChapterReport.summary(passed: 0, failed: ["a"]) == "1 check FAILED: a")
  }

  @Test func parsesBothValueForms() throws {
    let a = try Arguments("ch", options: options, arguments: ["--steps=5", "--quick"])
    #expect(a.int("steps") == 5 && a.flag("quick") && !a.flag("resume"))
    let b = try Arguments("ch", options: options, arguments: ["--steps", "7", "--resume"])
    #expect(b.int("steps") == 7 && b.flag("resume") && b.isSet("steps"))
    #expect(try Arguments("ch", options: options, arguments: []).int("steps") == 10)
  }

  @Test func rejectsMistakesWithOneLine() {
    let cases: [([String], String)] = [
      (["--stpes", "5"], "unknown option --stpes"),
      (["--steps"], "--steps needs a value"),
      (["--resume=yes"], "--resume is a flag"),
      (["steps"], "unexpected argument 'steps'"),
    ]
    for (words, message) in cases {
      #expect {
        try Arguments("ch", options: options, arguments: words)
      } throws: { error in
        (error as? ArgumentError)?.description.hasPrefix(message) == true
      }
    }
  }

  @Test func helpListsEveryOption() throws {
    let help = try Arguments("ch", options: options, arguments: []).help(summary: "A chapter.")
    for name in ["--help", "--quick", "--steps VALUE", "--resume"] { #expect(help.contains(name)) }
  }

  @Test func typedSettingsAreCheckedWhileParsingEvenUnderQuick() throws {
    let steps = Setting("steps", "training steps", default: 1500, quick: 150, in: 1...10_000)
    let lr = Setting("lr", "learning rate", default: 3e-3, quick: 1e-2, "a positive number") { $0 > 0 }
    let kind = Setting("weights", "precision", default: WeightPrecision.float32)
    let options = [steps.option, lr.option, kind.option]
    let cases: [([String], String)] = [
      (["--quick", "--steps", "abc"], "--steps expects a whole number in 1...10000, got 'abc'"),
      (["--steps=0"], "--steps expects a whole number in 1...10000, got '0'"),
      (["--quick", "--lr", "-1"], "--lr expects a positive number, got '-1'"),
      (["--lr", "nan"], "--lr expects a positive number, got 'nan'"),
      (["--weights", "int8"], "--weights expects float32 or bfloat16, got 'int8'"),
    ]
    for (words, message) in cases {
      #expect(throws: ArgumentError(description: message)) { try Arguments("ch", options: options, arguments: words) }
    }
    let plain = try Arguments("ch", options: options, arguments: [])
    #expect(plain[steps] == 1500 && plain[lr] == 3e-3 && plain[kind] == .float32)
    let quick = try Arguments("ch", options: options, arguments: ["--quick"])
    #expect(quick[steps] == 150 && quick[lr] == 1e-2)
    let given = try Arguments("ch", options: options, arguments: ["--quick", "--steps", "40", "--weights=bfloat16"])
    #expect(given[steps] == 40 && given[lr] == 1e-2 && given[kind] == .bfloat16, "a value given beats --quick")
  }

  @Test func helpShowsRangesDefaultsAndQuickValues() throws {
    let options = [
      Setting("steps", "training steps", default: 1500, quick: 150, in: 1...10_000).option,
      Setting("seed", "seed", default: 7, in: 0...Int.max).option,
      Setting("encode", "show how TEXT is tokenized", default: "").option,
      Setting("prompt", "the text to continue", default: "Hi:\n").option,
    ]
    let help = try Arguments("ch", options: options, arguments: []).help(summary: "A chapter.")
    #expect(help.contains("--steps N      training steps (1...10000, default 1500, --quick 150)"))
    #expect(help.contains("(0 or more, default 7)"))
    #expect(help.contains("--encode TEXT  show how TEXT is tokenized\n"), "no '(default: )' for an empty default")
    #expect(help.contains("(default Hi:\\n)"), "a newline in a default is shown escaped")
  }

  @Test func svgFiguresAreWellFormed() {
    let chart = SVG.lineChart(
      [SVG.Series("train", [(0, 4.2), (1, 3.1), (2, 2.5)])], title: "loss <nats>", xLabel: "step", yLabel: "loss")
    #expect(chart.hasPrefix("<svg") && chart.hasSuffix("</svg>\n") && chart.contains("<polyline"))
    #expect(chart.contains("loss &lt;nats&gt;"))
    let map = SVG.heatmap(Tensor(shape: [2, 3], storage: [0, 1, 2, 3, 4, 5]), title: "m", rowLabels: ["a", "b"])
    #expect(map.components(separatedBy: "<rect x=").count - 1 == 6)
  }

  @Test func ticksAreRoundNumbers() {
    #expect(SVG.niceTicks(0, 99) == [0, 20, 40, 60, 80])
    #expect(SVG.niceTicks(1, 3.45) == [1, 1.5, 2, 2.5, 3])
    #expect(SVG.tick(8) == "8" && SVG.tick(2.5) == "2.5")
  }

  @Test func countsTakeTheirPlural() {
    #expect(counted(1, "thread") == "1 thread" && counted(2, "head") == "2 heads" && counted(0, "layer") == "0 layers")
  }

  @Test func durationsReadNaturally() {
    #expect(formatDuration(0.25) == "250ms")
    #expect(formatDuration(12.34) == "12.3s")
    #expect(formatDuration(192) == "3m12s")
  }
}
