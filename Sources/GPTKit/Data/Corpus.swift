// Chapter 01 introduces this file: reading a training text, with clear errors.

import Foundation

/// A problem with a training text, as one line that names the fix.
public enum CorpusError: Error, CustomStringConvertible, Equatable {
  case missing(String)
  case folder(String)
  /// A pipe, a terminal, a device: reading it could wait forever or give a different text each time.
  case notAFile(String)
  case unreadable(String)
  case empty(String)
  case tooSmall(String, bytes: Int, minimum: Int)
  case invalidUTF8(String, offset: Int)
  case utf16(String)
  /// More distinct characters than a character vocabulary may have (its logits would not fit).
  case tooManyCharacters(String, count: Int, limit: Int)
  /// Too few tokens for what a chapter cuts from them; `fix` names the options that ask for less.
  case tooFewTokens(String, tokens: Int, needed: Int, fix: String)

  public var description: String {
    switch self {
    case .missing(let path):
      return
        "\(path) not found: pass --data with the path of a UTF-8 text file "
        + "(or run from the workbook folder for the bundled corpus)"
    case .folder(let path): return "\(path) is a folder: pass --data with the path of a text file inside it"
    case .notAFile(let path):
      return "\(path) is not a regular file (a pipe or a device): save the text to a file and pass that file's path"
    case .unreadable(let path): return "\(path) cannot be read (permission denied): make it readable, e.g. `chmod +r`"
    case .empty(let path): return "\(path) is empty: pass a text file with some writing in it"
    case .tooSmall(let path, let bytes, let minimum):
      return "\(path) has only \(bytes) bytes; this needs at least \(minimum): use a longer text"
    case .invalidUTF8(let path, let offset):
      return
        "\(path) is not valid UTF-8 (first bad byte at offset \(offset)): convert it, e.g. `iconv -f latin1 -t utf-8`"
    case .utf16(let path):
      return "\(path) is UTF-16, not UTF-8: convert it, e.g. `iconv -f utf-16 -t utf-8 \(path) > text.txt`"
    case .tooManyCharacters(let path, let count, let limit):
      return
        "\(path) has \(count) distinct characters, more than a character vocabulary's \(limit): "
        + "use --tokenizer bpe, whose vocabulary has the size you choose"
    case .tooFewTokens(let path, let tokens, let needed, let fix):
      return "\(path) gives \(tokens) tokens where this needs \(needed): use a longer text"
        + (fix.isEmpty ? "" : " or \(fix)")
    }
  }
}

/// The texts the workbook trains on.
public enum Corpus {
  /// The bundled corpus, relative to the workbook folder.
  public static let shakespeare = "corpora/shakespeare.txt"

  /// Reads a UTF-8 text file of at least `minimumBytes` bytes.
  ///
  /// Byte-level BPE could digest any bytes, but the character tokenizer and every chapter
  /// that prints text need real text, so invalid UTF-8 is an error that says where it is.
  public static func load(_ path: String, minimumBytes: Int = 1) throws(CorpusError) -> String {
    switch FileKind(path) {
    case .regular: break
    case .missing: throw .missing(path)
    case .folder: throw .folder(path)
    case .other: throw .notAFile(path)
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
    guard !data.isEmpty else { throw .empty(path) }
    guard data.count >= minimumBytes else { throw .tooSmall(path, bytes: data.count, minimum: minimumBytes) }
    if looksLikeUTF16(data) { throw .utf16(path) }
    if let offset = firstInvalidUTF8(data) { throw .invalidUTF8(path, offset: offset) }
    return String(decoding: data, as: UTF8.self)
  }

  /// Whether `data` starts with a UTF-16 byte-order mark, or is a quarter zero bytes or more
  /// (UTF-16 without a mark: ASCII in it is every other byte zero, which is valid UTF-8).
  static func looksLikeUTF16(_ data: Data) -> Bool {
    let head = data.prefix(4096)
    if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) { return true }
    return head.count >= 2 && head.count { $0 == 0 } * 4 >= head.count
  }

  /// The byte offset of the first invalid UTF-8 sequence, or nil if the data is valid.
  public static func firstInvalidUTF8(_ data: Data) -> Int? {
    var decoder = UTF8()
    var iterator = data.makeIterator()
    var offset = 0
    while true {
      switch decoder.decode(&iterator) {
      case .scalarValue(let scalar): offset += UTF8.width(scalar)
      case .emptyInput: return nil
      case .error: return offset
      }
    }
  }
}

/// What is at a path a learner passes, asked before reading it: only a regular file is read.
/// A FIFO or `/dev/stdin` would block, or be read only once; a folder has no contents to read.
enum FileKind {
  case missing, folder, regular, other

  init(_ path: String) {
    var info = stat()
    guard !path.isEmpty, stat(path, &info) == 0 else {  // follows links, like a read
      self = .missing
      return
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG: self = .regular
    case S_IFDIR: self = .folder
    default: self = .other
    }
  }
}
