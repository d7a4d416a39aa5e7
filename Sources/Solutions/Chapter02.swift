// Reference solutions for chapter 02's exercises. Try the exercises first!

import Foundation

public enum Chapter02 {
  public static func windowCount(tokens: Int, contextLength: Int, stride: Int) -> Int {
    tokens < contextLength + 1 ? 0 : (tokens - contextLength - 1) / stride + 1
  }

  public static func window(_ tokens: [Int], start: Int, contextLength: Int) -> (x: [Int], y: [Int]) {
    (Array(tokens[start..<(start + contextLength)]), Array(tokens[(start + 1)..<(start + contextLength + 1)]))
  }

  public static func trainValidationSplit(_ tokens: [Int], trainFraction: Double) -> (train: [Int], validation: [Int]) {
    let cut = Int(Double(tokens.count) * trainFraction)
    return (Array(tokens[..<cut]), Array(tokens[cut...]))
  }

  /// A token is missed when none of the `contextLength` starts that would cover it is drawn:
  /// each draw misses them with probability `1 - T / (N - T)`.
  public static func randomCoverage(tokens: Int, contextLength: Int, draws: Int) -> Double {
    1 - pow(1 - Double(contextLength) / Double(tokens - contextLength), Double(draws))
  }
}
