// Chapter 06 introduces this file: a loss curve in the terminal.

/// A small text plot of a series: one `*` per point at its height, `height` rows tall,
/// the series stretched or sampled to `width` columns. For the end of a training run.
public enum TerminalPlot {
  public static func render(_ values: [Double], label: String, height: Int = 8, width: Int = 48) -> String {
    guard let low = values.min(), let high = values.max(), values.count > 1, high > low else { return "" }
    let columns = (0..<width).map { values[$0 * (values.count - 1) / (width - 1)] }
    let level = columns.map { Int(((high - $0) / (high - low) * Double(height - 1)).rounded()) }  // 0 = top
    var rows: [String] = []
    for r in 0..<height {
      let axis = r == 0 ? high.formatted(decimals: 2) : r == height - 1 ? low.formatted(decimals: 2) : ""
      rows.append(
        axis.padding(toLength: 6, withPad: " ", startingAt: 0) + "|" + level.map { $0 == r ? "*" : " " }.joined())
    }
    rows.append("      +" + String(repeating: "-", count: width) + " \(label) over \(values.count) evaluations")
    return rows.joined(separator: "\n")
  }
}
