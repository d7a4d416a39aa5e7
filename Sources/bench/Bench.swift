// The benchmark runner's shared pieces: a measured case, timing, and output.

import Foundation
import GPTKit

/// One measured figure with the reference it is compared against.
struct BenchResult {
  var suite: String
  var name: String
  var value: Double
  var unit: String
  var reference: Double?
  /// Where the reference comes from, e.g. "OpenBLAS AVX-512, same shape".
  var basis: String
  /// Extra columns for the human-readable table.
  var notes: String = ""
  /// Throughputs are better high, times low; the ratio is always "how many times better".
  var higherIsBetter = true
  /// Which PyTorch figure measured on this machine (`--torch`) it compares with, if any.
  var key: String? = nil

  /// How many times better than the reference (> 1 beats it): ours / reference for
  /// throughputs, reference / ours for times.
  var ratio: Double? { reference.map { higherIsBetter ? value / $0 : $0 / value } }

  /// `{"suite","case","value","unit","reference","ratio"}`, one object per line, plus
  /// `"torch_here"` and `"ratio_here"` when PyTorch's figure on this machine is known.
  func json(torchHere: Double? = nil) -> String {
    func number(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "null" }
    func quoted(_ s: String) -> String {
      "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
    let here = torchHere.map { ",\"torch_here\":\(number($0)),\"ratio_here\":\(number(value / $0))" } ?? ""
    let fields = "\"suite\":\(quoted(suite)),\"case\":\(quoted(name)),\"value\":\(number(value)),"
    let measures = "\"unit\":\(quoted(unit)),\"reference\":\(number(reference)),\"ratio\":\(number(ratio))"
    return "{" + fields + measures + here + "}"
  }
}

/// The best (shortest) time of `body` over `repeats` rounds, after one warm-up call;
/// each round repeats the call until it has run for at least `minimum` seconds.
func bestTime(repeats: Int = 5, minimum: Double = 0.2, _ body: () -> Void) -> Double {
  body()
  var best = Double.infinity
  for _ in 0..<repeats {
    var calls = 0
    let start = monotonicSeconds()
    repeat {
      body()
      calls += 1
    } while monotonicSeconds() - start < minimum
    best = min(best, (monotonicSeconds() - start) / Double(calls))
  }
  return best
}
