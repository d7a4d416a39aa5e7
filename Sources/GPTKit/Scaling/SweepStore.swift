// Chapter 08 introduces this file: the sweep's results on disk, one JSON object per line.

import Foundation

/// What a sweep's runs must share for their losses to be comparable: the same text, tokenizer
/// and training recipe. A result recorded under other settings is never mixed in.
public struct SweepSettings: Codable, Equatable, Sendable {
  public var corpus: String
  public var contextLength: Int
  public var batchSize: Int
  public var learningRate: Float
  public var seed: UInt64

  public init(corpus: String, contextLength: Int, batchSize: Int, learningRate: Float, seed: UInt64) {
    (self.corpus, self.contextLength, self.batchSize) = (corpus, contextLength, batchSize)
    (self.learningRate, self.seed) = (learningRate, seed)
  }
}

/// One finished training run of the sweep (or the prediction run beyond it).
public struct SweepRecord: Codable, Equatable, Sendable {
  public var settings: SweepSettings
  /// The budget the run was sized for, FLOPs.
  public var budget: Double
  public var size: ModelSize
  public var nonEmbeddingParameters: Int
  public var parameters: Int
  public var steps: Int
  public var tokens: Int
  /// What the run cost: `tokens · trainingFLOPsPerToken`.
  public var flops: Double
  public var validationLoss: Float
  public var trainLoss: Float
  public var seconds: Double
  public var tokensPerSecond: Double
  /// The FMA peak measured when the run was trained (GFLOP/s), so its MFU can be recomputed
  /// later against the machine as it was then. Absent in records written without it.
  public var peakGFLOPs: Double?

  public init(
    settings: SweepSettings, budget: Double, size: ModelSize, nonEmbeddingParameters: Int, parameters: Int,
    steps: Int, tokens: Int, flops: Double, validationLoss: Float, trainLoss: Float, seconds: Double
  ) {
    (self.settings, self.budget, self.size) = (settings, budget, size)
    (self.nonEmbeddingParameters, self.parameters, self.steps, self.tokens) =
      (nonEmbeddingParameters, parameters, steps, tokens)
    (self.flops, self.validationLoss, self.trainLoss, self.seconds) = (flops, validationLoss, trainLoss, seconds)
    tokensPerSecond = Double(tokens) / max(seconds, 1e-9)
  }

  /// The run as a point for the fits.
  public var point: SweepPoint {
    SweepPoint(
      budget: budget, parameters: Double(nonEmbeddingParameters), tokens: Double(tokens), loss: Double(validationLoss))
  }
}

/// `runs/ch08/sweep.jsonl`: each finished run is appended as one line the moment it ends, so a
/// sweep that is killed loses only the run in progress, and a rerun trains only what is missing.
public enum SweepStore {
  /// The records under `settings`, plus one note per line that was skipped: damaged, not a
  /// record, or from other settings (counted, not listed one by one). A missing file is empty.
  public static func load(_ path: String, settings: SweepSettings) -> (records: [SweepRecord], notes: [String]) {
    guard let data = FileManager.default.contents(atPath: path) else { return ([], []) }
    var records: [SweepRecord] = []
    var notes: [String] = []
    var foreign = 0
    let decoder = JSONDecoder()
    for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
      guard !line.allSatisfy(\.isWhitespace) else { continue }
      guard let record = try? decoder.decode(SweepRecord.self, from: Data(line.utf8)) else {
        notes.append("\(path) line \(number + 1) is not a sweep record (damaged, or another file's): skipped")
        continue
      }
      if record.settings == settings { records.append(record) } else { foreign += 1 }
    }
    if foreign > 0 { notes.append("\(path): \(foreign) runs with other settings (text, T, batch, lr, seed) ignored") }
    return (records, notes)
  }

  /// Appends `record` as one line, creating the folder and file if needed. A damaged last line
  /// (a kill mid-write) is closed off first, so the new record starts a line of its own.
  public static func append(_ record: SweepRecord, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    if !FileManager.default.fileExists(atPath: path) { try Data().write(to: url) }
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    var line = try encoder.encode(record)
    line.append(UInt8(ascii: "\n"))
    let handle = try FileHandle(forUpdating: url)
    defer { try? handle.close() }
    let end = try handle.seekToEnd()
    if end > 0 {
      try handle.seek(toOffset: end - 1)
      if handle.readData(ofLength: 1) != Data("\n".utf8) { line.insert(UInt8(ascii: "\n"), at: 0) }
      try handle.seekToEnd()
    }
    try handle.write(contentsOf: line)
  }
}
