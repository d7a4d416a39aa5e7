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
