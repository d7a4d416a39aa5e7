// The `tokenizer` suite: BPE training and cl100k encoding speed on the bundled corpus.

import Foundation
import GPTKit

enum TokenizerSuite {
  static func run(peak: Double) -> [BenchResult] {
    let root = FileManager.default.currentDirectoryPath
    guard let corpus = try? String(contentsOfFile: "\(root)/corpora/shakespeare.txt", encoding: .utf8) else {
      fail("corpora/shakespeare.txt not found: run the bench from the workbook folder")
    }
    let megabytes = Double(corpus.utf8.count) / 1e6
    var results: [BenchResult] = []
    for (size, reference) in [(512, 0.16), (4096, 0.25)] {
      let seconds = bestTime(repeats: 3, minimum: 0) { _ = try! BPETrainer.train(corpus, vocabularySize: size) }
      results.append(
        BenchResult(
          suite: "tokenizer", name: "train BPE to vocab \(size) on \(megabytes.formatted(decimals: 2)) MB",
          value: seconds, unit: "s", reference: reference, basis: "HF tokenizers, 2 threads",
          notes: "lower is better", higherIsBetter: false))
    }
    let path = "\(root)/corpora/tiktoken/cl100k_base.tiktoken"
    if let cl100k = try? RankFile.load(path, pattern: .cl100k) {
      var tokens = 0
      let seconds = bestTime(repeats: 3, minimum: 0.5) { tokens = cl100k.encodeOrdinary(corpus).count }
      results.append(
        BenchResult(
          suite: "tokenizer", name: "cl100k encode, 1 thread (\(tokens) tokens)", value: megabytes / seconds,
          unit: "MB/s", reference: 16.7, basis: "tiktoken 0.14, 1 thread"))
    } else {
      FileHandle.standardError.write(
        Data("note: \(path) missing, skipping cl100k encode (python3 corpora/fetch_tiktoken.py)\n".utf8))
    }
    return results
  }
}
