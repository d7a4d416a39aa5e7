// Chapter 00 introduces this file: the small command-line parser every chapter shares.

import Foundation

/// One `--name value` option a chapter accepts. A chapter usually declares a typed
/// ``Setting`` instead, which fills in the requirement, placeholder and `--quick` value.
public struct Option: Sendable {
  public var name: String
  public var help: String
  /// The value used when the option is not given; `nil` for a boolean flag.
  public var defaultValue: String?
  /// The value used under `--quick` when the option is not given; `nil`: the default.
  public var quickValue: String?
  /// What a value must be, e.g. "a whole number in 1...64"; `nil` accepts any text.
  public var requirement: String?
  /// Whether a given value meets `requirement`; checked as the command line is parsed.
  public var accepts: @Sendable (String) -> Bool = { _ in true }
  /// How `--help` shows the value: `N`, `X`, `bpe|char`, `PATH`...
  public var placeholder = "VALUE"
  /// How `--help` shows the requirement in brief: `1...64`, `a positive number`; `nil`: not at all.
  public var range: String?

  /// An option with a value, e.g. `Option("steps", "training steps", default: "2000")`.
  public init(_ name: String, _ help: String, default defaultValue: String) {
    (self.name, self.help, self.defaultValue) = (name, help, defaultValue)
  }

  /// A boolean flag, e.g. `Option(flag: "resume", "continue the last run")`.
  public init(flag name: String, _ help: String) {
    (self.name, self.help, self.defaultValue) = (name, help, nil)
  }
}

/// A command-line mistake, reported as one line that names the problem and the fix.
public struct ArgumentError: Error, CustomStringConvertible, Equatable {
  public var description: String
}

/// Parses `--name value`, `--name=value` and `--flag`, with `--help` and `--quick` built in.
///
/// ```
/// let size = Setting("size", "matrix size for the GFLOP/s measurement", default: 512, quick: 128, in: 16...8192)
/// let args = Arguments.parseOrExit(
///   "ch00-tensors", summary: "Tensors, matmul and gradient checks.", options: [size.option])
/// let n = args[size]  // 512, 128 under --quick, or the value given
/// ```
/// Unknown options and malformed values are errors, never silently ignored: a typo in
/// `--stpes 10` would otherwise run the default for ten minutes. Every value given is checked
/// against its option's requirement while parsing, before the chapter does any work, whether
/// or not this run reads it (`--quick --steps abc` is refused too).
///
/// A value you give always wins; `--quick` only changes the defaults of options that have a
/// quick value (`--quick --steps 40` trains the quick model for 40 steps).
public struct Arguments: Sendable {
  public let program: String
  public let options: [Option]
  var values: [String: String] = [:]
  var flags: Set<String> = []

  static let builtIn = [
    Option(flag: "help", "show this help and exit"),
    Option(flag: "quick", "run a seconds-long version (used by the tests)"),
  ]

  /// Parses `arguments` (without the program name), throwing on the first mistake.
  public init(_ program: String, options: [Option], arguments: [String]) throws(ArgumentError) {
    self.program = program
    self.options = Arguments.builtIn + options
    var rest = arguments[...]
    while let word = rest.popFirst() {
      guard word.hasPrefix("--"), word.count > 2 else {
        throw ArgumentError(
          description: "unexpected argument \(quoted(word)): options start with -- (see \(program) --help)")
      }
      // Split at the first "=" scalar: in Characters, "=" and a combining mark after it are one.
      let body = word.unicodeScalars.dropFirst(2)
      let (name, inline) =
        body.firstIndex(of: "=").map { (String(body[..<$0]), String(body[body.index(after: $0)...])) }
        ?? (String(body), nil)
      guard let option = self.options.first(where: { $0.name == name }) else {
        throw ArgumentError(description: "unknown option --\(escaped(name)) (see \(program) --help for the list)")
      }
      if option.defaultValue == nil {
        guard inline == nil else { throw ArgumentError(description: "--\(name) is a flag and takes no value") }
        flags.insert(name)
      } else if let value = inline ?? rest.popFirst() {
        guard option.accepts(value) else {
          throw ArgumentError(description: "--\(name) expects \(option.requirement ?? "a value"), got \(quoted(value))")
        }
        values[name] = value
      } else {
        throw ArgumentError(description: "--\(name) needs a value, e.g. --\(name) \(option.defaultValue!)")
      }
    }
  }

  /// Parses the process's arguments; prints help and exits 0 for `--help`, prints the error
  /// and exits 2 for a mistake.
  public static func parseOrExit(_ program: String, summary: String, options: [Option] = []) -> Arguments {
    do {
      let words = Array(CommandLine.arguments.dropFirst())
      let args = try Arguments(program, options: options, arguments: words)
      if args.flag("help") {
        print(args.help(summary: summary))
        exit(0)
      }
      return args
    } catch {
      fail(error.description, code: 2)
    }
  }

  /// The usage text `--help` prints: each option with its placeholder, its help, its range,
  /// its default and its `--quick` value, e.g.
  /// `--steps N   optimizer steps (1...10000000, default 1500, --quick 150)`.
  public func help(summary: String) -> String {
    var lines = ["\(summary)", "", "usage: swift run -c release \(program) [options]", "", "options:"]
    let left = options.map { $0.defaultValue == nil ? "--\($0.name)" : "--\($0.name) \($0.placeholder)" }
    let width = left.map(\.count).max()! + 2
    for (option, left) in zip(options, left) {
      var right = option.help
      let facts = [
        option.range,
        option.defaultValue.flatMap { $0.isEmpty ? nil : "default \($0.debugDescription.dropFirst().dropLast())" },
        option.quickValue.map { "--quick \($0)" },
      ].compactMap { $0 }
      if !facts.isEmpty { right += " (\(facts.joined(separator: ", ")))" }
      lines.append("  " + left.padding(toLength: width, withPad: " ", startingAt: 0) + right)
    }
    return lines.joined(separator: "\n")
  }

  /// Whether a boolean flag was given.
  public func flag(_ name: String) -> Bool { flags.contains(name) }

  /// Whether an option was given explicitly (not just its default).
  public func isSet(_ name: String) -> Bool { values[name] != nil }

  /// Whether a typed option was given explicitly (not just its default or `--quick` value).
  public func isSet<Value>(_ setting: Setting<Value>) -> Bool { isSet(setting.option.name) }

  /// Whether this is the run the book quotes: every option at its default, not `--quick`,
  /// started from the workbook folder (where `bookChapter` is). Only that run may rewrite the
  /// book's figures; an experiment with `--lr 0` must not replace the curve the text describes.
  public func isTheBookRun(_ bookChapter: String) -> Bool {
    values.isEmpty && !flag("quick") && FileManager.default.fileExists(atPath: bookChapter)
  }

  /// An option's value: the one given, else its `--quick` value under `--quick`, else its default.
  public func string(_ name: String) -> String {
    guard let option = options.first(where: { $0.name == name }), let fallback = option.defaultValue else {
      preconditionFailure("the chapter asks for option --\(name), which it did not declare")
    }
    return values[name] ?? (flag("quick") ? option.quickValue : nil) ?? fallback
  }

  /// A typed option's value, already checked when parsing: `args[Options.steps]`.
  public subscript<Value>(_ setting: Setting<Value>) -> Value { setting.read(self) }

  /// An option's value as a whole number; exits with a one-line error if it is not one.
  public func int(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) -> Int {
    guard let value = Int(string(name)), range.contains(value) else {
      fail("--\(name) expects \(Setting<Int>.requirement(range)), got \(quoted(string(name)))", code: 2)
    }
    return value
  }

  /// An option's value as a number, one that `isAllowed` accepts (`requirement` says which,
  /// e.g. "a positive number"); exits with a one-line error if it is not.
  public func double(
    _ name: String, _ requirement: String = "a number", where isAllowed: (Double) -> Bool = { _ in true }
  ) -> Double {
    guard let value = Double(string(name)), value.isFinite, isAllowed(value) else {
      fail("--\(name) expects \(requirement), got \(quoted(string(name)))", code: 2)
    }
    return value
  }
}

/// Prints `error: message` to standard error and exits with `code`: the workbook's one way to
/// stop on bad input (no crash trace, nothing half-written). The message stays one line even
/// when it quotes a value with a newline in it.
public func fail(_ message: String, code: Int32 = 1) -> Never {
  FileHandle.standardError.write(Data("error: \(escaped(message))\n".utf8))
  exit(code)
}

/// A value as an error message quotes it: in single quotes, with control characters escaped
/// (`'a\nb'`), so the message stays one line.
public func quoted(_ value: String) -> String { "'\(escaped(value))'" }

/// `text` with its control characters written as escapes: `a\nb`, `\u{7}`.
public func escaped(_ text: String) -> String {
  var out = ""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case _ where scalar.properties.generalCategory == .control: out += "\\u{\(String(scalar.value, radix: 16))}"
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out
}

/// Creates the folder an option names (and its parents) and checks that a file can be
/// written in it, so that a run which saves minutes from now fails now, in one line.
public func requireWritableFolder(_ path: String, option: String = "--out") {
  let fm = FileManager.default
  let probe = "\(path)/.write-check-\(getpid())"
  guard !path.isEmpty else { fail("\(option) is empty: pass the path of a folder", code: 2) }
  try? fm.createDirectory(atPath: path, withIntermediateDirectories: true)
  let file = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)  // errno says why not, in a few words
  guard file >= 0 else {
    fail(
      "\(option) \(path) cannot be written (\(String(cString: strerror(errno)))): choose a folder you can write to",
      code: 2)
  }
  close(file)
  unlink(probe)
}

/// A file error in a few words ("No space left on device", "/x/y is a file, not a folder"),
/// without Foundation's dump.
public func fileErrorReason(_ error: Error) -> String {
  let ns = error as NSError
  let cause = ns.userInfo[NSUnderlyingErrorKey] as? NSError ?? ns
  if cause.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(cause.code))) }
  if ns.domain == NSCocoaErrorDomain && ns.code == CocoaError.fileWriteOutOfSpace.rawValue {
    return String(cString: strerror(ENOSPC))
  }
  if let path = ns.userInfo[NSFilePathErrorKey] as? String ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path,
    let why = whyUnwritable(path)
  {
    return why
  }
  let text = ns.domain == NSCocoaErrorDomain ? ns.localizedDescription : "\(error)"
  return text.split(separator: "\n").first.map(String.init) ?? "error \(ns.code)"
}

/// Why `path` cannot be created, found from its nearest existing ancestor, or nil.
func whyUnwritable(_ path: String) -> String? {
  var ancestor = (path as NSString).deletingLastPathComponent
  while !ancestor.isEmpty && !FileManager.default.fileExists(atPath: ancestor) {
    ancestor = (ancestor as NSString).deletingLastPathComponent
  }
  var isFolder: ObjCBool = false
  guard !ancestor.isEmpty, FileManager.default.fileExists(atPath: ancestor, isDirectory: &isFolder) else { return nil }
  if !isFolder.boolValue { return "\(ancestor) is a file, not a folder" }
  if access(ancestor, W_OK) != 0 { return String(cString: strerror(errno)) }
  return nil
}

/// A file the workbook could not write (a full disk, a folder it may not write to), as one
/// line: the path, the reason in a few words, the fix.
public struct FileWriteError: Error, CustomStringConvertible {
  public var path: String
  public var reason: String

  public init(_ path: String, _ error: Error) { (self.path, reason) = (path, fileErrorReason(error)) }

  public var description: String {
    "could not write \(path) (\(reason)): free some space, or run from a folder you can write to"
  }
}
