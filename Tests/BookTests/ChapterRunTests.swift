import Foundation
import Testing

/// Runs every chapter executable with `--quick`, as a learner would, and holds the book to
/// what the chapters print.
@Suite("Every chapter runs and its checks pass", .serialized)
struct ChapterRuns {
  static let chapters = Workbook.chapters.map(\.product)

  /// The `[check]` lines of an output.
  static func checks(_ output: String) -> [String] {
    output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("[check]") }
  }

  /// Each chapter's `--quick` run, made once and shared by the tests below.
  nonisolated(unsafe) static var runs: [String: (status: Int32, out: String, err: String)] = [:]
  static let lock = NSLock()
  static func quickRun(_ chapter: String) throws -> (status: Int32, out: String, err: String) {
    lock.lock()
    defer { lock.unlock() }
    if let run = runs[chapter] { return run }
    let run = try Workbook.run(chapter, ["--quick"])
    runs[chapter] = run
    return run
  }

  @Test(arguments: chapters)
  func quickRunPasses(_ chapter: String) throws {
    let (status, out, err) = try Self.quickRun(chapter)
    let checks = Self.checks(out)
    #expect(status == 0, "\(chapter) --quick exited \(status): \(err)")
    #expect(!checks.isEmpty, "\(chapter) printed no [check] lines")
    for line in checks { #expect(line.hasSuffix(" OK"), "\(line)") }
    #expect(out.contains("all \(checks.count) checks OK"))
  }

  /// The book quotes a chapter's checks in a block marked `<!-- output: chNN-name -->`; they
  /// must be the lines the chapter prints now. Numbers that depend on the platform's math
  /// library (last digits of an error) are compared exactly only on the platform the book
  /// was written on, Linux on x86_64.
  @Test(arguments: chapters)
  func bookQuotesTheChecksThatArePrinted(_ chapter: String) throws {
    let folder = try #require(Workbook.chapters.first { $0.product == chapter }?.folder)
    let book = Workbook.root.appendingPathComponent("book/\(folder).md")
    let markdown = try String(contentsOf: book, encoding: .utf8)
    let pattern = /<!-- output: ([\w-]+) -->\n```text\n((?:.*\n)*?)```/
    let quoted = markdown.matches(of: pattern).filter { $0.1 == chapter }.flatMap { Self.checks(String($0.2)) }
    #expect(!quoted.isEmpty, "book/\(folder).md quotes no output of \(chapter)")
    let printed = Self.checks(try Self.quickRun(chapter).out)
    #if os(Linux) && arch(x86_64)
      for line in quoted {
        #expect(printed.contains(line), "the book quotes a line \(chapter) no longer prints: \(line)")
      }
    #else
      let mask = { (line: String) in line.replacing(/[0-9.e+-]+/, with: "#") }
      for line in quoted { #expect(printed.map(mask).contains(mask(line)), "\(line)") }
    #endif
  }

  @Test(arguments: chapters)
  func badFlagGivesOneLineError(_ chapter: String) throws {
    let (status, out, err) = try Workbook.run(chapter, ["--no-such-option"])
    #expect(status == 2)
    #expect(out.isEmpty)
    #expect(err == "error: unknown option --no-such-option (see \(chapter) --help for the list)\n")
    let help = try Workbook.run(chapter, ["--help"])
    #expect(help.status == 0 && help.out.contains("--quick"))
  }

  /// Values a chapter cannot use are refused before any work, in one line that names the fix.
  @Test(arguments: [
    ("ch06-training", ["--lr", "-1"], "error: --lr expects a positive number, got '-1'\n", Int32(2)),
    ("ch06-training", ["--lr", "0"], "error: --lr expects a positive number, got '0'\n", 2),
    ("ch06-training", ["--dropout", "1"], "error: --dropout expects a probability in [0, 1), got '1'\n", 2),
    (
      "ch06-training", ["--data", "corpora"],
      "error: corpora is a folder: pass --data with the path of a text file inside it\n", 1
    ),
    ("ch07-sampling", ["--temperature", "-1"], "error: --temperature expects 0 or a positive number, got '-1'\n", 2),
    (
      "ch06-training", ["--quick", "--steps", "abc"],
      "error: --steps expects a whole number in 1...10000000, got 'abc'\n", 2
    ),
    ("ch07-sampling", ["--quick", "--top-p", "0"], "error: --top-p expects a number in (0, 1], got '0'\n", 2),
    ("ch07-sampling", ["--beam", "65"], "error: --beam expects a whole number in 0...64, got '65'\n", 2),
    (
      "ch07-sampling", ["--checkpoint", "no/such/run"],
      "error: no checkpoint in no/such/run: train one first (ch06-training)\n", 1
    ),
    ("ch09-finetuning", ["--quick", "--rank", "0"], "error: --rank expects a whole number in 1...1024, got '0'\n", 2),
    ("ch06-training", ["--quick", "--out", ""], "error: --out expects a path, got ''\n", 2),
    (
      "ch06-training", ["--quick", "--seed", "a\nb"], "error: --seed expects a whole number, at least 0, got 'a\\nb'\n",
      2
    ),
    (
      "ch06-training", ["--quick", "--out", "Package.swift/run"],
      "error: --out Package.swift/run cannot be written (Not a directory): choose a folder you can write to\n", 2
    ),
    (
      "ch02-dataloader", ["--data", "/dev/null"],
      "error: /dev/null is not a regular file (a pipe or a device): "
        + "save the text to a file and pass that file's path\n", 1
    ),
    (
      "ch02-dataloader", ["--batch", "65536"],
      "error: corpora/shakespeare.txt gives 452440 tokens where this needs 4194305: "
        + "use a longer text or a smaller --batch, --context or --stride\n", 1
    ),
    (
      "ch09-finetuning", ["--conversations", "no/such.jsonl"],
      "error: no/such.jsonl not found: pass the path of a .jsonl file, one conversation per line\n", 1
    ),
    (
      "ch09-finetuning", ["--checkpoint", "no/such/run"],
      "error: no checkpoint in no/such/run: train one first (ch06-training)\n", 1
    ),
    (  // refused before the small base is pretrained, not after
      "ch09-finetuning", ["--quick", "--batch", "4000"],
      "error: only 1140 conversations fit the model's context of 128 tokens, fewer than --batch 4000: "
        + "use --batch 1140 or less\n", 1
    ),
    (
      "ch09-finetuning", ["--conversations", "corpora"],
      "error: corpora is a folder: pass the path of a .jsonl file in it, one conversation per line\n", 1
    ),
    (
      "ch08-scaling", ["--flops", "0"],
      "error: --flops expects a number above 0 (leave the calculator's options out to run the sweep)\n", 2
    ),
  ])
  func unusableValuesAreRefusedAtOnce(_ chapter: String, _ arguments: [String], _ message: String, _ code: Int32) throws
  {
    let (status, out, err) = try Workbook.run(chapter, arguments)
    #expect(status == code)
    #expect(out.isEmpty, "\(chapter) \(arguments) did work before refusing: \(out.prefix(200))")
    #expect(err == message)
  }

  /// Chapter 09's `--chat` talks to the model its `--quick` run fine-tuned, reading messages
  /// from a pipe as from a terminal, and stops at the end of the input.
  @Test func chatAnswersMessagesFromAPipe() throws {
    _ = try Self.quickRun("ch09-finetuning")  // leaves runs/ch09-quick/sft
    let (status, out, err) = try Workbook.run(
      "ch09-finetuning", ["--quick", "--chat"], input: "Who are you?\nWho speaks: Now is the winter?\n")
    #expect(status == 0, "\(err)")
    #expect(out.components(separatedBy: "model> ").count == 3, "two answers: \(out)")
    #expect(!out.contains("\u{FFFD}") && !out.contains("[check]"), "only the conversation: \(out)")
  }
}
