// Chapter 00 introduces this file: the SVG plots the book embeds (line charts and heatmaps).

import Foundation

/// Writes small, dependency-free SVG figures: line charts (loss curves, GFLOP/s by size)
/// and heatmaps (attention weights, position encodings).
public enum SVG {
  /// One named curve of a line chart.
  public struct Series {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var style: Style
    /// Text drawn beside each point (`.points` style only), e.g. the models of a map.
    public var labels: [String]
    /// The palette slot; by default the series' position, so a fit can share its points' colour.
    public var color: Int?
    public init(
      _ name: String, _ points: [(x: Double, y: Double)], style: Style = .line, labels: [String] = [],
      color: Int? = nil
    ) {
      (self.name, self.points, self.style, self.labels, self.color) = (name, points, style, labels, color)
    }
  }

  /// How a series is drawn: a solid line, a dashed line (a fit), or separate dots (measurements).
  public enum Style: Sendable { case line, dashed, points }

  static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

  /// A line chart of `series` with axes, ticks and a legend. With `logX` or `logY` that axis
  /// is logarithmic (every value must be positive): power laws become straight lines.
  public static func lineChart(
    _ series: [Series], title: String, xLabel: String, yLabel: String,
    width: Double = 640, height: Double = 400, logX: Bool = false, logY: Bool = false
  ) -> String {
    let all = series.flatMap(\.points)
    let (left, right, top, bottom) = (70.0, 20.0, 56.0, 50.0)
    let (plotW, plotH) = (width - left - right, height - top - bottom)
    let (tx, ty) = ({ (v: Double) in logX ? log10(v) : v }, { (v: Double) in logY ? log10(v) : v })
    var (xMin, xMax) = (all.map { tx($0.x) }.min() ?? 0, all.map { tx($0.x) }.max() ?? 1)
    var (yMin, yMax) = (all.map { ty($0.y) }.min() ?? 0, all.map { ty($0.y) }.max() ?? 1)
    if xMax == xMin { xMax = xMin + 1 }
    if yMax == yMin { (yMin, yMax) = (yMin - 0.5, yMax + 0.5) }
    if logX { (xMin, xMax) = (xMin - 0.05 * (xMax - xMin), xMax + 0.05 * (xMax - xMin)) }
    if logY { (yMin, yMax) = (yMin - 0.05 * (yMax - yMin), yMax + 0.05 * (yMax - yMin)) }
    func px(_ x: Double) -> Double { left + (tx(x) - xMin) / (xMax - xMin) * plotW }
    func py(_ y: Double) -> Double { top + (1 - (ty(y) - yMin) / (yMax - yMin)) * plotH }
    var svg = header(width, height, title)
    svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#888\"/>\n"
    for fx in logX ? logTicks(xMin, xMax) : niceTicks(xMin, xMax) {
      svg += text(px(fx), top + plotH + 18, tick(fx), anchor: "middle")
    }
    for fy in logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax) {
      svg +=
        "<line x1=\"\(left)\" y1=\"\(coordinate(py(fy)))\" x2=\"\(left + plotW)\" y2=\"\(coordinate(py(fy)))\" "
        + "stroke=\"#eee\"/>\n"
      svg += text(left - 6, py(fy) + 4, tick(fy), anchor: "end")
    }
    svg += text(left + plotW / 2, height - 10, xLabel, anchor: "middle")
    svg +=
      "<text x=\"16\" y=\"\(top + plotH / 2)\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
      + "\(top + plotH / 2))\">\(escape(yLabel))</text>\n"
    var legendX = left
    for (k, s) in series.enumerated() {
      let color = palette[(s.color ?? k) % palette.count]
      let legend = !s.name.isEmpty
      if s.style == .points {
        for (i, p) in s.points.enumerated() {
          svg += "<circle cx=\"\(coordinate(px(p.x)))\" cy=\"\(coordinate(py(p.y)))\" r=\"3.5\" fill=\"\(color)\"/>\n"
          if i < s.labels.count { svg += text(px(p.x) + 5, py(p.y) - 5, s.labels[i], anchor: "start", size: 10) }
        }
        if legend { svg += "<circle cx=\"\(legendX + 10)\" cy=\"\(top - 12)\" r=\"3.5\" fill=\"\(color)\"/>\n" }
      } else {
        let dash = s.style == .dashed ? " stroke-dasharray=\"6 4\"" : ""
        let path = s.points.map { "\(coordinate(px($0.x))),\(coordinate(py($0.y)))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(path)\"/>\n"
        if legend {
          svg +=
            "<line x1=\"\(legendX)\" y1=\"\(top - 12)\" x2=\"\(legendX + 20)\" y2=\"\(top - 12)\" "
            + "stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
        }
      }
      guard legend else { continue }
      svg += text(legendX + 26, top - 8, s.name, anchor: "start")
      legendX += 40 + Double(s.name.count) * 7
    }
    return svg + "</svg>\n"
  }

  /// A scatter plot of labelled points (e.g. token embeddings projected to 2-D).
  public static func scatter(
    _ points: [(label: String, x: Double, y: Double)], title: String, xLabel: String, yLabel: String,
    width: Double = 640, height: Double = 480
  ) -> String {
    let (left, right, top, bottom) = (50.0, 20.0, 40.0, 40.0)
    let (plotW, plotH) = (width - left - right, height - top - bottom)
    let xs = points.map(\.x), ys = points.map(\.y)
    let (xMin, xMax) = (xs.min() ?? 0, max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9))
    let (yMin, yMax) = (ys.min() ?? 0, max(ys.max() ?? 1, (ys.min() ?? 0) + 1e-9))
    func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
    func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotH }
    var svg = header(width, height, title)
    svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#888\"/>\n"
    for p in points {
      svg += "<circle cx=\"\(coordinate(px(p.x)))\" cy=\"\(coordinate(py(p.y)))\" r=\"2\" fill=\"#1f77b4\"/>\n"
      svg += text(px(p.x) + 3, py(p.y) - 3, p.label, anchor: "start", size: 12)
    }
    svg += text(left + plotW / 2, height - 10, xLabel, anchor: "middle")
    svg +=
      "<text x=\"14\" y=\"\(top + plotH / 2)\" font-size=\"13\" text-anchor=\"middle\" transform=\"rotate(-90 14 "
      + "\(top + plotH / 2))\">\(escape(yLabel))</text>\n"
    return svg + "</svg>\n"
  }

  /// A heatmap of a `(rows, columns)` matrix, white (low) to dark blue (high), with optional
  /// labels along each axis.
  public static func heatmap(
    _ matrix: Tensor, title: String, rowLabels: [String] = [], columnLabels: [String] = [],
    cellSize: Double = 12
  ) -> String {
    precondition(matrix.rank == 2, "heatmap needs a matrix, got shape \(matrix.shape)")
    let (rows, columns) = (matrix.shape[0], matrix.shape[1])
    let left = rowLabels.isEmpty ? 10.0 : 80.0
    let top = columnLabels.isEmpty ? 40.0 : 90.0
    let width = left + Double(columns) * cellSize + 10
    let height = top + Double(rows) * cellSize + 10
    let (low, high) = (matrix.storage.min() ?? 0, matrix.storage.max() ?? 1)
    var svg = header(width, height, title)
    for r in 0..<rows {
      for c in 0..<columns {
        let v = high > low ? Double((matrix[r, c] - low) / (high - low)) : 0
        let shade = { (from: Double, to: Double) in Int(from + (to - from) * v) }
        let color = "rgb(\(shade(255, 8)),\(shade(255, 48)),\(shade(255, 107)))"
        svg +=
          "<rect x=\"\(coordinate(left + Double(c) * cellSize))\" y=\"\(coordinate(top + Double(r) * cellSize))\" "
          + "width=\"\(cellSize)\" height=\"\(cellSize)\" fill=\"\(color)\"/>\n"
      }
    }
    for (r, label) in rowLabels.prefix(rows).enumerated() {
      svg += text(left - 4, top + (Double(r) + 0.75) * cellSize, label, anchor: "end", size: 10)
    }
    for (c, label) in columnLabels.prefix(columns).enumerated() {
      let x = left + (Double(c) + 0.75) * cellSize
      svg +=
        "<text x=\"\(coordinate(x))\" y=\"\(top - 4)\" font-size=\"10\" transform=\"rotate(-60 \(coordinate(x)) "
        + "\(top - 4))\">\(escape(label))</text>\n"
    }
    return svg + "</svg>\n"
  }

  /// Writes `svg` to `path`, creating the folder; atomically, so a kill leaves no half file.
  public static func write(_ svg: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(svg.utf8).write(to: url, options: .atomic)
  }

  static func header(_ width: Double, _ height: Double, _ title: String) -> String {
    """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif">
    <rect width="100%" height="100%" fill="white"/>
    <text x="\(width / 2)" y="22" font-size="15" text-anchor="middle">\(escape(title))</text>\n
    """
  }

  static func text(_ x: Double, _ y: Double, _ s: String, anchor: String, size: Int = 12) -> String {
    "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" font-size=\"\(size)\" "
      + "text-anchor=\"\(anchor)\">\(escape(s))</text>\n"
  }

  /// Round tick values (steps of 1, 2 or 5 times a power of ten) covering `low...high`.
  static func niceTicks(_ low: Double, _ high: Double, target: Int = 5) -> [Double] {
    let raw = (high - low) / Double(target)
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var ticks: [Double] = []
    var value = (low / step).rounded(.up) * step
    while value <= high + step * 1e-9 {
      ticks.append(abs(value) < step * 1e-9 ? 0 : value)
      value += step
    }
    return ticks
  }

  /// Ticks for a logarithmic axis spanning `log10` values `low...high`: the powers of ten, or
  /// 1, 2 and 5 times them when the range covers less than two decades.
  static func logTicks(_ low: Double, _ high: Double) -> [Double] {
    let multiples: [Double] = high - low < 2 ? [1, 2, 5] : [1]
    let decades = Int(low.rounded(.down))...Int(high.rounded(.up))
    return decades.flatMap { d in multiples.map { $0 * pow(10, Double(d)) } }.filter {
      log10($0) >= low - 1e-9 && log10($0) <= high + 1e-9
    }
  }

  static func tick(_ v: Double) -> String {
    if abs(v) >= 1e6 || (abs(v) < 0.01 && v != 0) { return v.formatted(significant: 3) }
    if v == v.rounded() { return String(Int(v)) }
    return v.formatted(significant: 4)
  }

  /// A position in the picture, to a tenth of a pixel.
  static func coordinate(_ v: Double) -> String { v.formatted(decimals: 1) }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
