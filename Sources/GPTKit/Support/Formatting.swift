// Chapter 00 introduces this file: number formatting shared by every chapter's output.

import Foundation

extension Double {
  /// `4.2123`-style fixed decimals.
  public func formatted(decimals: Int) -> String { String(format: "%.\(decimals)f", self) }
  /// `1.2e-05`-style, `significant` digits.
  public func formatted(significant: Int) -> String { String(format: "%.\(significant)g", self) }
}

extension Float {
  public func formatted(decimals: Int) -> String { Double(self).formatted(decimals: decimals) }
  public func formatted(significant: Int) -> String { Double(self).formatted(significant: significant) }
}

/// A count and its noun, plural unless the count is 1: `counted(1, "thread")` is `1 thread`,
/// `counted(4, "layer")` is `4 layers`.
public func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

/// Bytes in the largest unit that keeps a number of at least 1: `formatBytes(3_500_000)` is "3.3 MB".
public func formatBytes(_ bytes: Int) -> String {
  let units = ["bytes", "KB", "MB", "GB", "TB"]
  var (value, unit) = (Double(bytes), 0)
  while value >= 1024 && unit < units.count - 1 { (value, unit) = (value / 1024, unit + 1) }
  return unit == 0 ? "\(bytes) bytes" : "\(value.formatted(decimals: 1)) \(units[unit])"
}

/// Formats a duration as `850ms`, `12.3s` or `3m12s`.
public func formatDuration(_ seconds: Double) -> String {
  if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
  if seconds < 60 { return "\(seconds.formatted(decimals: 1))s" }
  let whole = Int(seconds.rounded())
  return whole < 3600
    ? "\(whole / 60)m\(String(format: "%02d", whole % 60))s"
    : "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
}

/// Seconds since an arbitrary fixed point, for timing (monotonic).
public func monotonicSeconds() -> Double {
  Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
