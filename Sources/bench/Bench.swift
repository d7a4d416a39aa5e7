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
  /// The fraction of this machine's FMA peak the case reached, and that peak (GFLOP/s),
  /// measured beside it (`timeBesidePeak`), for the cases that count their FLOPs.
  var mfu: Double? = nil
  var peakGFLOPs: Double? = nil
  /// PyTorch timed in the same minutes (`train --torch-live`): tokens/s and peak memory (MB).
  var torchLive: (tokensPerSecond: Double, peakMB: Int)? = nil
  /// This process's peak resident memory while the case ran, MB.
  var peakMB: Int? = nil

  /// PyTorch's fraction of the peak in a live round (`train --torch-live`): the same FLOPs per
  /// token over the peak measured beside our best round of the same minutes. Doing those FLOPs
  /// in fp32, ours would be `1 / torchMFU` times PyTorch at 100% of that peak, and no more.
  var torchMFU: Double? {
    guard let mfu, let torch = torchLive?.tokensPerSecond, value > 0 else { return nil }
    let theirs = mfu * torch / value
    return theirs.isFinite && theirs > 0 ? theirs : nil
  }

  /// How many times better than the reference (> 1 beats it): ours / reference for
  /// throughputs, reference / ours for times.
  var ratio: Double? { reference.map { higherIsBetter ? value / $0 : $0 / value } }

  /// `{"suite","case","value","unit","reference","ratio","cpu"}`, one object per line, plus
  /// `"mfu"` and `"peak_gflops"` for the cases that count FLOPs, `"peak_rss_mb"` where memory
  /// was measured, and `"torch_tok_s"` and `"ratio_here"` when PyTorch's figure on this machine
  /// is known (`--torch FILE` or `train --torch-live`), live also `"torch_mfu"` and
  /// `"torch_peak_rss_mb"`.
  func json(torchHere: Double? = nil) -> String {
    func number(_ x: Double?) -> String { x.flatMap { $0.isFinite ? String(format: "%.4g", $0) : nil } ?? "null" }
    func quoted(_ s: String) -> String {
      "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
    var fields = [
      "\"suite\":\(quoted(suite))", "\"case\":\(quoted(name))", "\"value\":\(number(value))",
      "\"unit\":\(quoted(unit))", "\"reference\":\(number(reference))", "\"ratio\":\(number(ratio))",
      "\"cpu\":\(quoted(Machine.cpuModel))",
    ]
    if let mfu, let peakGFLOPs { fields += ["\"mfu\":\(number(mfu))", "\"peak_gflops\":\(number(peakGFLOPs))"] }
    if let peakMB { fields.append("\"peak_rss_mb\":\(peakMB)") }
    if let torch = torchLive?.tokensPerSecond ?? torchHere {
      fields += ["\"torch_tok_s\":\(number(torch))", "\"ratio_here\":\(number(value / torch))"]
      if let torchMFU { fields.append("\"torch_mfu\":\(number(torchMFU))") }
    }
    if let torchMB = torchLive?.peakMB { fields.append("\"torch_peak_rss_mb\":\(torchMB)") }
    return "{" + fields.joined(separator: ",") + "}"
  }
}

/// The best (shortest) time of `body` over `repeats` rounds, after one warm-up call;
/// each round repeats the call until it has run for at least `minimum` seconds.
func bestTime(repeats: Int = 5, minimum: Double = 0.2, _ body: () -> Void) -> Double {
  body()
  return (0..<repeats).map { _ in timedRound(minimum: minimum, body) }.min() ?? .infinity
}

/// One round: seconds per call of `body`, called until the round has lasted `minimum` seconds.
func timedRound(minimum: Double, _ body: () -> Void) -> Double {
  var calls = 0
  let start = monotonicSeconds()
  repeat {
    body()
    calls += 1
  } while monotonicSeconds() - start < minimum
  return (monotonicSeconds() - start) / Double(calls)
}

/// A time and the FMA peak measured beside it.
struct BesidePeak {
  /// The best round's seconds per call.
  var seconds: Double
  /// GFLOP/s of `PeakFlops`, the mean of its measurements just before and just after that round.
  var peak: Double
}

/// Like `bestTime`, with the machine's FMA peak measured before the first round and after
/// each one. This VM's speed drifts within minutes (a GEMM has read 55% of a peak measured at
/// the start of the same run and 93% an hour earlier), so a fraction of the peak means
/// something only when both come from the same minute: the best round is divided by the
/// peak measured around it.
func timeBesidePeak(repeats: Int = 3, minimum: Double = 0.5, _ body: () -> Void) -> BesidePeak {
  func peakNow() -> Double { PeakFlops.measure(threads: Parallel.threadCount, seconds: 0.15) }
  body()
  var best = BesidePeak(seconds: .infinity, peak: 0)
  var before = peakNow()
  for _ in 0..<repeats {
    let seconds = timedRound(minimum: minimum, body)
    let after = peakNow()
    if seconds < best.seconds { best = BesidePeak(seconds: seconds, peak: (before + after) / 2) }
    before = after
  }
  return best
}

/// Facts about this machine that every figure is printed with.
enum Machine {
  /// The processor's name as /proc/cpuinfo gives it ("unknown" where there is none).
  static let cpuModel: String = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
      let name = line.split(separator: ":", maxSplits: 1).last
    else { return "unknown" }
    return name.trimmingCharacters(in: .whitespaces)
  }()

  /// Starts a new peak for `peakResidentMegabytes` (Linux: writing 5 to clear_refs resets
  /// VmHWM to the memory resident now, which therefore counts in the next peak: the process's
  /// own baseline, as PyTorch's figure counts its interpreter). Returns false where the peak
  /// cannot be reset, and then no peak is reported.
  static func resetPeakResident() -> Bool {
    guard (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil,
      let peak = status("VmHWM:"), let now = status("VmRSS:")
    else { return false }
    return peak <= now + 1
  }

  /// The process's peak resident memory (VmHWM) since the last reset, MB (nil where unknown).
  static func peakResidentMegabytes() -> Int? { status("VmHWM:") }

  /// A line of /proc/self/status in kB (`VmHWM:\t  123456 kB`), as MB.
  private static func status(_ key: String) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
      let kB = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ Int($0) })
    else { return nil }
    return kB / 1024
  }
}

/// `fraction` as a whole percentage for the tables ("–" when it is not a number: a peak
/// that measured 0 would otherwise trap the conversion to Int).
func percent(_ fraction: Double) -> String {
  fraction.isFinite ? "\(Int((100 * fraction).rounded()))%" : "–"
}
