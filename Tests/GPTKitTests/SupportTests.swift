import Testing

@testable import GPTKit

@Suite("00 tensors: chapter support")
struct SupportTests {
  let options = [Option("steps", "training steps", default: "10"), Option(flag: "resume", "resume")]

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

  @Test func durationsReadNaturally() {
    #expect(formatDuration(0.25) == "250ms")
    #expect(formatDuration(12.34) == "12.3s")
    #expect(formatDuration(192) == "3m12s")
  }
}
