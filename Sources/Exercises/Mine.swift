// What `--mine` runs: your exercises, plugged into the chapters. You need not edit this file.
//
// `swift run -c release ch06-training --mine` runs chapter 06 with your pieces in place of the
// library's: each one you have attempted is used, each one you have not falls back to the
// library's with a line saying so, and the chapter's own checks judge the result. Each piece
// is also compared with the library's on a small input first, in a check that names it.

import Foundation
import GPTKit

/// The exercises a chapter runs under `--mine`, each `nil` until attempted. `yours` holds the
/// functions of this folder; the tests build the same from `Sources/Solutions` to show that
/// correct pieces change no number the chapters print.
public struct Pieces {
  // Chapter 00
  public var naiveMatmul: ((Tensor, Tensor) throws -> Tensor)?
  public var geluBackward: ((Tensor, Tensor) throws -> Tensor)?
  // Chapter 01
  public var trainMerges: ((String, Int) throws -> [TokenPair])?
  // Chapter 02
  public var windowCount: ((Int, Int, Int) throws -> Int)?
  public var window: (([Int], Int, Int) throws -> (x: [Int], y: [Int]))?
  // Chapter 03
  public var embeddingBackward: ((Tensor, [Int], Int) throws -> Tensor)?
  // Chapter 04
  public var causalMask: ((Tensor) throws -> Tensor)?
  public var singleHeadAttention: ((Tensor, Tensor, Tensor) throws -> Tensor)?
  public var keys: ((Tensor, Int, Int) throws -> Tensor)?
  public var singleHeadBackward: ((Tensor, Tensor, Tensor, Tensor) throws -> (dQ: Tensor, dK: Tensor, dV: Tensor))?
  // Chapter 05
  public var layerNormForward: ((Tensor, Tensor, Tensor) throws -> Tensor)?
  public var layerNormBackward: ((Tensor, Tensor, Tensor) throws -> Tensor)?
  // Chapter 06
  public var adamWUpdate: AdamWUpdate?
  public var learningRate: ((Int, Float, Float, Int, Int) throws -> Float)?
  public var embeddingCosine: ((GPT, Int, Int) throws -> Float)?
  // Chapter 07
  public var temperatureSoftmax: (([Float], Float) throws -> [Float])?
  public var topP: (([Float], Float) throws -> [Float])?
  public var storeKeyValue: StoreKeyValue?
  // Chapter 09
  public var assistantMask: (([Int], ChatFormat) throws -> [UInt8])?
  // Chapter 08
  public var fitPowerLaw: (([(x: Double, y: Double)]) throws -> (coefficient: Double, exponent: Double))?

  public typealias AdamWUpdate = (
    _ p: inout [Float], _ g: [Float], _ m: inout [Float], _ v: inout [Float], _ t: Int, _ lr: Float, _ decay: Float,
    _ beta1: Float, _ beta2: Float, _ epsilon: Float
  ) throws -> Void

  public typealias StoreKeyValue = (
    _ keysT: inout [Float], _ values: inout [Float], _ qkv: [Float], _ position: Int, _ T: Int, _ NH: Int
  ) throws -> Void

  public init() {}

  /// `--mine`: run your exercises in place of the library's pieces.
  public static let flag = Setting(flag: "mine", "run your exercises (Sources/Exercises) in place of the library's")

  /// Your pieces under `--mine`, or nil without it. For the tests, `WORKBOOK_MINE` in the
  /// environment asks `solutions` for other pieces instead: `reference` for the reference
  /// solutions (right pieces change no number), `mistake:6.6` for them with a typical mistake
  /// in exercise 6.6 (the chapter's checks must catch it).
  public static func chosen(_ args: Arguments, solutions: (String) -> Pieces?) -> Pieces? {
    guard args.flag("mine") else { return nil }
    guard let request = ProcessInfo.processInfo.environment["WORKBOOK_MINE"] else { return yours }
    guard let pieces = solutions(request) else {
      fail("WORKBOOK_MINE=\(request) names no pieces: use reference or mistake:N.M, or unset it for yours")
    }
    return pieces
  }

  /// Your functions, each only if you have written it (a tiny call does not throw
  /// `Exercise.notAttempted`).
  public static var yours: Pieces {
    var pieces = Pieces()
    let one = Tensor(shape: [1, 1], repeating: 1)
    if isAttempted({ _ = try Exercises.naiveMatmul(one, one) }) { pieces.naiveMatmul = Exercises.naiveMatmul }
    if isAttempted({ _ = try Exercises.geluBackward(x: one, dOut: one) }) {
      pieces.geluBackward = { try Exercises.geluBackward(x: $0, dOut: $1) }
    }
    if isAttempted({ _ = try Exercises.trainMerges("aab", count: 1) }) {
      pieces.trainMerges = { try Exercises.trainMerges($0, count: $1) }
    }
    if isAttempted({ _ = try Exercises.windowCount(tokens: 3, contextLength: 1, stride: 1) }) {
      pieces.windowCount = { try Exercises.windowCount(tokens: $0, contextLength: $1, stride: $2) }
    }
    if isAttempted({ _ = try Exercises.window([1, 2], start: 0, contextLength: 1) }) {
      pieces.window = { try Exercises.window($0, start: $1, contextLength: $2) }
    }
    if isAttempted({ _ = try Exercises.embeddingBackward(dOut: one, tokens: [0], V: 1) }) {
      pieces.embeddingBackward = { try Exercises.embeddingBackward(dOut: $0, tokens: $1, V: $2) }
    }
    if isAttempted({ _ = try Exercises.causalMask(one) }) { pieces.causalMask = Exercises.causalMask }
    if isAttempted({ _ = try Exercises.singleHeadAttention(q: one, k: one, v: one) }) {
      pieces.singleHeadAttention = { try Exercises.singleHeadAttention(q: $0, k: $1, v: $2) }
    }
    if isAttempted({ _ = try Exercises.singleHeadBackward(one, q: one, k: one, v: one) }) {
      pieces.singleHeadBackward = { try Exercises.singleHeadBackward($0, q: $1, k: $2, v: $3) }
    }
    if isAttempted({ _ = try Exercises.keys(of: Tensor(shape: [1, 3], repeating: 1), head: 0, heads: 1) }) {
      pieces.keys = { try Exercises.keys(of: $0, head: $1, heads: $2) }
    }
    let (row, gain) = (Tensor(shape: [1, 2], storage: [1, 2]), Tensor(shape: [2], repeating: 1))
    if isAttempted({ _ = try Exercises.layerNormForward(row, weight: gain, bias: gain) }) {
      pieces.layerNormForward = { try Exercises.layerNormForward($0, weight: $1, bias: $2) }
    }
    if isAttempted({ _ = try Exercises.layerNormBackward(row, weight: gain, dOut: row) }) {
      pieces.layerNormBackward = { try Exercises.layerNormBackward($0, weight: $1, dOut: $2) }
    }
    var (p, m, v) = ([Float(1)], [Float(0)], [Float(0)])
    let adamW: AdamWUpdate = {
      try Exercises.adamWUpdate(
        &$0, gradient: $1, m: &$2, v: &$3, step: $4, lr: $5, weightDecay: $6, beta1: $7, beta2: $8, epsilon: $9)
    }
    if isAttempted({ try adamW(&p, [0.5], &m, &v, 1, 0.1, 0, 0.9, 0.95, 1e-8) }) { pieces.adamWUpdate = adamW }
    if isAttempted({ _ = try Exercises.learningRate(step: 0, maxLR: 1, minLR: 0, warmupSteps: 1, totalSteps: 2) }) {
      pieces.learningRate = {
        try Exercises.learningRate(step: $0, maxLR: $1, minLR: $2, warmupSteps: $3, totalSteps: $4)
      }
    }
    if isAttempted({ _ = try Exercises.embeddingCosine(GPT(.tiny), 0, 1) }) {
      pieces.embeddingCosine = Exercises.embeddingCosine
    }
    if isAttempted({ _ = try Exercises.temperatureSoftmax([0, 1], temperature: 1) }) {
      pieces.temperatureSoftmax = { try Exercises.temperatureSoftmax($0, temperature: $1) }
    }
    if isAttempted({ _ = try Exercises.topP([0.5, 0.5], p: 0.9) }) { pieces.topP = { try Exercises.topP($0, p: $1) } }
    if isAttempted({ _ = try Exercises.fitPowerLaw([(1, 1), (2, 2)]) }) { pieces.fitPowerLaw = Exercises.fitPowerLaw }
    let format = ChatFormat(extending: BPETokenizer(ranks: (0..<256).map { [UInt8($0)] }, pattern: .cl100k))
    if isAttempted({ _ = try Exercises.assistantMask([0], format: format) }) {
      pieces.assistantMask = { try Exercises.assistantMask($0, format: $1) }
    }
    var (keysT, values) = ([Float(0)], [Float(0)])
    let store: StoreKeyValue = {
      try Exercises.storeKeyValue(keysT: &$0, values: &$1, qkv: $2, position: $3, T: $4, heads: $5)
    }
    if isAttempted({ try store(&keysT, &values, [0, 1, 2], 0, 1, 1) }) { pieces.storeKeyValue = store }
    return pieces
  }

  /// Prints which of `names` (exercise number and title) are yours and which fall back.
  public func announce(_ report: ChapterReport, _ names: [(String, String, Bool)]) {
    for (number, title, attempted) in names {
      report.info(
        attempted
          ? "mine: exercise \(number) (\(title)) is yours"
          : "mine: exercise \(number) (\(title)) is not attempted yet: the library's runs")
    }
  }
}

extension GPTConfig {
  /// A model small enough to probe and compare pieces on.
  static let tiny = GPTConfig(vocabularySize: 13, contextLength: 8, layerCount: 1, headCount: 2, channels: 16)
}

/// Runs a piece of yours, stopping the chapter with one line naming the exercise if it throws.
func run<Result>(_ number: String, _ body: () throws -> Result) -> Result {
  do { return try body() } catch { fail("--mine: exercise \(number) threw \(error)") }
}

/// The largest `|a - b|` relative to the largest `|b|`, for comparing a piece with the library.
func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
  guard a.count == b.count else { return .infinity }
  let scale = b.reduce(0) { max($0, abs($1)) }
  let worst = zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
  return worst.isNaN ? .infinity : worst / max(scale, 1e-30)
}
