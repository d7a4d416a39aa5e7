// The fuzz harness (issue 16): command-line values for every chapter, drawn from a seed.

import Foundation
import GPTKit

/// One option of a chapter, as its `--help` line describes it.
struct HelpOption {
  var name: String
  /// `N`, `X`, `PATH`, `TEXT`, `bpe|char`...; empty for a flag.
  var placeholder: String
  /// The range `--help` shows for a whole number, e.g. `1...64`.
  var range: ClosedRange<Int>?

  /// The options of `help` (a chapter's `--help` text), but `--help` and `--quick`.
  static func parse(_ help: String) -> [HelpOption] {
    help.split(separator: "\n").compactMap { line -> HelpOption? in
      let words = line.split(separator: " ")
      guard line.hasPrefix("  --"), let first = words.first else { return nil }
      let name = String(first.dropFirst(2))
      guard name != "help" && name != "quick" else { return nil }
      let placeholder =
        words.count > 1 && !words[1].isEmpty && words[1].uppercased() == words[1] || words[1].contains("|")
        ? String(words[1]) : ""
      var range: ClosedRange<Int>? = nil
      if let open = line.lastIndex(of: "("), let dots = line[open...].range(of: "...") {
        let low = line[line.index(after: open)..<dots.lowerBound]
        let high = line[dots.upperBound...].prefix { $0.isNumber }
        if let l = Int(low), let h = Int(high), l <= h { range = l...h }
      }
      return HelpOption(name: name, placeholder: placeholder, range: range)
    }
  }
}

/// Values a skeptical user might type, valid and not.
enum Values {
  static let junk = [
    "", "abc", "-1", "0", "1e-40", "1e40", "nan", "inf", "-inf", "9223372036854775808", "0x10", "1,5", " 3",
    "a\nb", "\u{301}x", "ï", String(repeating: "9", count: 400), "--quick", "-",
  ]
  static let paths = [
    "", "/nonexistent/file.txt", "/dev/stdin", "/dev/null", "/", "/proc/self/mem", "Package.swift", "a\nb",
    "/etc/passwd/x", ".",
  ]

  /// A value for `option`: junk, or for a number a value at the low edge of its range (cheap
  /// to run: the top of a range such as `--steps 10000000` is a long run, not a hang).
  static func pick(for option: HelpOption, rng: inout SplitMix64) -> String {
    if option.name == "out" {  // never a folder that can be made: a run would write its checkpoints there
      return ["", "/etc/passwd/x", "/proc/version/x", "/dev/null"][rng.nextInt(below: 4)]
    }
    if rng.nextInt(below: 3) == 0 { return junk[rng.nextInt(below: junk.count)] }
    switch option.placeholder {
    case "N":
      guard let range = option.range else { return "\(rng.nextInt(below: 8))" }
      let edges =
        [range.lowerBound - 1, range.lowerBound, range.lowerBound + 1, range.upperBound + 1]
        + [2, 3, 4, 5, 7, 8, 11, 12, 16].filter(range.contains)
      return "\(edges[rng.nextInt(below: edges.count)])"
    case "X": return ["0", "1e-40", "1e-7", "0.5", "1", "1.0000001", "2", "-0", "1e30"][rng.nextInt(below: 9)]
    case "PATH": return paths[rng.nextInt(below: paths.count)]
    case "TEXT": return ["", "ï", "\u{301}", "日本語", "\n", "😀", "<|endoftext|>", "a"][rng.nextInt(below: 8)]
    default:
      let choices = option.placeholder.split(separator: "|").map(String.init)
      return rng.nextInt(below: 2) == 0 && !choices.isEmpty ? choices[rng.nextInt(below: choices.count)] : "BPE"
    }
  }
}

/// Command-line cases: each runs a chapter with `--quick` and one or two options set.
func commandLineCases(bin: String, work: String, scratch: String, rng: inout SplitMix64) -> [Case] {
  var cases: [Case] = []
  var options: [String: [HelpOption]] = [:]
  for chapter in chapters {
    let help = run("\(bin)/\(chapter)", ["--help"], in: work, timeout: 30)
    options[chapter] = HelpOption.parse(help.stdout)
  }
  for _ in 0..<4000 {
    let chapter = chapters[rng.nextInt(below: chapters.count)]
    guard let all = options[chapter], !all.isEmpty else { continue }
    var arguments = ["--quick"]
    for _ in 0..<(1 + rng.nextInt(below: 2)) {
      let option = all[rng.nextInt(below: all.count)]
      if option.placeholder.isEmpty { arguments.append("--\(option.name)"); continue }
      let value = Values.pick(for: option, rng: &rng)
      arguments += rng.nextInt(below: 4) == 0 ? ["--\(option.name)=\(value)"] : ["--\(option.name)", value]
    }
    // Chapters 08 and 09 take minutes even with --quick: only values they must refuse at once.
    let slow = chapter.hasPrefix("ch08") || chapter.hasPrefix("ch09")
    if slow { arguments.append("--no-such-option-after-\(arguments.count)") }
    if chapter.hasPrefix("ch06") && !arguments.contains(where: { $0.hasPrefix("--out") }) {
      arguments += ["--out", "\(scratch)/runs/cli-\(cases.count)"]
    }
    cases.append(
      Case(
        category: "command line", label: chapter, executable: "\(bin)/\(chapter)", arguments: arguments,
        timeout: 90))
  }
  return cases
}

let chapters = [
  "ch00-tensors", "ch01-tokenization", "ch02-dataloader", "ch03-embeddings", "ch04-attention", "ch05-block",
  "ch06-training", "ch07-sampling", "ch08-scaling", "ch09-finetuning",
]
