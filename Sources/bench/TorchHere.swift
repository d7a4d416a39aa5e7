// `bench --torch FILE`: ratios against PyTorch measured on this machine, not the reference one.

import Foundation
import GPTKit

/// The best PyTorch figures in the JSON lines that `Tests/Interop/torch_speed.py` writes
/// (`runs/torch_speed.jsonl`), keyed like `BenchResult.key`: "train A", "generate cache".
///
/// The reference figures hold only on the reference machine. Running PyTorch's script on your
/// own machine and handing its results to the bench gives ratios that hold on yours.
struct TorchHere {
  /// Tokens/s and how PyTorch was run, for each key.
  var best: [String: (tokensPerSecond: Double, how: String)] = [:]

  /// Reads `path`; a missing file or a line that is not a JSON object ends the bench with a
  /// one-line error.
  init(path: String) {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      fail(
        "cannot read \(path): run `python3 Tests/Interop/torch_speed.py` first (it needs `pip install torch`)", code: 2)
    }
    let vocabulary = Dictionary(uniqueKeysWithValues: ModelSuite.configs.map { ($0.name, $0.gpt.vocabularySize) })
    for (number, line) in text.split(separator: "\n").enumerated() {
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        fail("\(path) line \(number + 1) is not a JSON object: is it torch_speed.py's output?", code: 2)
      }
      guard let tokens = object["tok_s_best"] as? Double, let config = object["config"] as? String else { continue }
      let how =
        object["how"] as? String
        ?? "\(object["mkl"] as? String ?? "?")\((object["compile"] as? Bool ?? false) ? " + compile" : "")"
      let key: String
      switch object["kind"] as? String {
      case "train" where object["vocab"] as? Int == vocabulary[config]: key = "train \(config)"
      case "generate" where config == "B":
        let half = object["dtype"] as? String == "bfloat16"
        key =
          (object["kv_cache"] as? Bool ?? false)
          ? (half ? "generate cache bf16" : "generate cache") : "generate recompute"
      case "gpt2":  // torch_gpt2_speed.py names its keys as the gpt2 suite does
        guard let named = object["key"] as? String else { continue }
        key = named
      default: continue
      }
      if tokens > best[key]?.tokensPerSecond ?? 0 { best[key] = (tokens, how) }
    }
    if best.isEmpty { fail("\(path) holds no training or generation results of configs A, B, C", code: 2) }
  }
}

/// `bench train --torch-live`: PyTorch's training step timed in the same minutes as ours.
///
/// The machines vary and their speed drifts, so a ratio to PyTorch means most when both
/// sides run in one invocation: each round of ours is followed by one run of
/// `Tests/Interop/torch_speed.py` on the same config, and each side keeps its best.
enum TorchLive {
  /// Set by `--torch-live`.
  nonisolated(unsafe) static var enabled = false
  /// Rounds of each side (`--rounds`).
  nonisolated(unsafe) static var rounds = 2
  static let script = "Tests/Interop/torch_speed.py"

  /// Refuses `--torch-live` up front, in one line, when PyTorch cannot run here.
  static func checkAvailable() {
    guard FileManager.default.fileExists(atPath: script) else {
      fail("--torch-live runs \(script): start the bench from the workbook's folder", code: 2)
    }
    guard (try? python(["-c", "import torch"]))?.status == 0 else {
      fail("--torch-live needs PyTorch: `pip install torch` (or leave --torch-live out)", code: 2)
    }
  }

  /// One PyTorch run of `config`'s training step: its best tokens/s and the process's peak
  /// memory. A failed run, or one whose model is not ours (another vocabulary size), ends the
  /// bench with one line: the script's own last line of output, or what did not match.
  static func trainingStep(config: String, vocabulary: Int, threads: Int) -> (tokensPerSecond: Double, peakMB: Int) {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("torch-live-\(getpid()).jsonl").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    let arguments = [script, "--config", config, "--no-generate", "--threads", "\(threads)", "--out", out]
    let run = try? python(arguments)
    guard let run, run.status == 0 else {
      let said = run?.output.split(separator: "\n").last.map(String.init) ?? "python3 did not start"
      fail("\(script) --config \(config) failed: \(said)", code: 1)
    }
    guard let line = (try? String(contentsOfFile: out, encoding: .utf8))?.split(separator: "\n").last,
      let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
      let tokens = object["tok_s_best"] as? Double, object["kind"] as? String == "train",
      object["vocab"] as? Int == vocabulary
    else {
      fail("\(script) --config \(config) did not time our model (vocabulary \(vocabulary)): is it this workbook's?")
    }
    return (tokens, object["peak_rss_mb"] as? Int ?? 0)
  }

  private static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    (process.standardOutput, process.standardError) = (pipe, pipe)
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
