// Chapter 00 introduces this file: typed options, each written once with its default,
// its `--quick` value and its range.

/// One typed command-line option: from this single declaration come its `--help` line, the
/// check of a given value (made while parsing, before any work) and the typed value itself.
///
/// ```
/// static let steps = Setting("steps", "optimizer steps", default: 1500, quick: 150, in: 1...10_000_000)
/// static let lr = Setting("lr", "peak learning rate", default: 3e-3, quick: 1e-2, "a positive number") { $0 > 0 }
/// ...
/// let args = Arguments.parseOrExit("ch06-training", summary: "...", options: [steps.option, lr.option])
/// let n = args[steps]  // an Int: the value given, else 150 under --quick, else 1500
/// ```
public struct Setting<Value>: Sendable {
  /// The untyped option the parser reads, with its requirement and `--quick` value.
  public let option: Option
  let read: @Sendable (Arguments) -> Value

  /// A setting from an option and a conversion that cannot fail on a value the option accepts.
  init(_ option: Option, convert: @escaping @Sendable (String) -> Value?) {
    self.option = option
    let name = option.name
    read = { args in
      guard let value = convert(args.string(name)) else {
        preconditionFailure("--\(name)'s default or --quick value is not one it accepts")
      }
      return value
    }
  }

  /// An option with a value that must meet `requirement` (checked by `accepts`).
  static func option(
    _ name: String, _ help: String, default value: String, quick: String?, placeholder: String,
    requirement: String?, range: String?, accepts: @escaping @Sendable (String) -> Bool
  ) -> Option {
    var option = Option(name, help, default: value)
    (option.quickValue, option.placeholder, option.requirement) = (quick, placeholder, requirement)
    option.range = range
    option.accepts = accepts
    return option
  }
}

extension Setting where Value == Int {
  /// A whole number in `range`, e.g. `Setting("layers", "transformer blocks L", default: 4, quick: 2, in: 1...64)`.
  public init(_ name: String, _ help: String, default value: Int, quick: Int? = nil, in range: ClosedRange<Int>) {
    precondition(range.contains(value) && quick.map(range.contains) != false, "--\(name): defaults outside \(range)")
    let option = Self.option(
      name, help, default: "\(value)", quick: quick.map(String.init), placeholder: "N",
      requirement: Self.requirement(range),
      range: range.upperBound == Int.max ? "\(range.lowerBound) or more" : "\(range.lowerBound)...\(range.upperBound)",
      accepts: { Int($0).map(range.contains) == true })
    self.init(option, convert: { Int($0) })
  }

  /// How a range reads in help and errors: "a whole number in 1...64", or "a whole number,
  /// at least 0" when it has no practical top.
  static func requirement(_ range: ClosedRange<Int>) -> String {
    range.upperBound == Int.max
      ? "a whole number, at least \(range.lowerBound)" : "a whole number in \(range.lowerBound)...\(range.upperBound)"
  }
}

extension Setting where Value == Double {
  /// A finite number that `isAllowed` accepts (`requirement` says which, e.g. "a positive number").
  public init(
    _ name: String, _ help: String, default value: Double, quick: Double? = nil, _ requirement: String? = nil,
    where isAllowed: @escaping @Sendable (Double) -> Bool = { _ in true }
  ) {
    let accepts: @Sendable (String) -> Bool = { Double($0).map { $0.isFinite && isAllowed($0) } == true }
    precondition(accepts("\(value)") && quick.map { accepts("\($0)") } != false, "--\(name): defaults not allowed")
    let option = Self.option(
      name, help, default: "\(value)", quick: quick.map { "\($0)" }, placeholder: "X",
      requirement: requirement ?? "a number", range: requirement, accepts: accepts)
    self.init(option, convert: { Double($0) })
  }
}

extension Setting where Value == String {
  /// Any text, e.g. a path (`placeholder: "PATH"`) or a prompt; `default: ""` for none. A
  /// path given must not be empty: `--out ""` would write at the filesystem's root.
  public init(_ name: String, _ help: String, default value: String, quick: String? = nil, placeholder: String = "TEXT")
  {
    let isPath = placeholder == "PATH"
    let option = Self.option(
      name, help, default: value, quick: quick, placeholder: placeholder, requirement: isPath ? "a path" : nil,
      range: nil, accepts: { !isPath || !$0.isEmpty })
    self.init(option, convert: { $0 })
  }
}

extension Setting where Value: RawRepresentable & Sendable, Value.RawValue == String {
  /// One of a few named choices, e.g. `Setting("tokenizer", "...", default: .bpe, among: [.bpe, .char])`.
  public init(_ name: String, _ help: String, default value: Value, among choices: [Value]) {
    let names = choices.map(\.rawValue)
    let requirement = names.dropLast().joined(separator: ", ") + (names.count > 1 ? " or " : "") + names.last!
    let option = Self.option(
      name, help, default: value.rawValue, quick: nil, placeholder: names.joined(separator: "|"),
      requirement: requirement, range: nil, accepts: { names.contains($0) })
    self.init(option, convert: { Value(rawValue: $0) })
  }
}

extension Setting where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
  /// One of the cases of `Value`, e.g. `Setting("weights", "...", default: WeightPrecision.float32)`.
  public init(_ name: String, _ help: String, default value: Value) {
    self.init(name, help, default: value, among: Array(Value.allCases))
  }
}

extension Setting where Value == Bool {
  /// A flag: true when given, e.g. `Setting(flag: "resume", "continue the run saved in --out")`.
  public init(flag name: String, _ help: String) {
    option = Option(flag: name, help)
    read = { $0.flag(name) }
  }
}
