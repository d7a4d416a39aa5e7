// Chapter 01 introduces this file: reading a training text, with clear errors.

import Foundation

/// A problem with a training text, as one line that names the fix.
public enum CorpusError: Error, CustomStringConvertible, Equatable {
  case missing(String)
  case folder(String)
  case empty(String)
  case tooSmall(String, bytes: Int, minimum: Int)
  case invalidUTF8(String, offset: Int)

  public var description: String {
    switch self {
    case .missing(let path):
      return
        "\(path) not found: pass --data with the path of a UTF-8 text file "
        + "(or run from the workbook folder for the bundled corpus)"
    case .folder(let path): return "\(path) is a folder: pass --data with the path of a text file inside it"
    case .empty(let path): return "\(path) is empty: pass a text file with some writing in it"
    case .tooSmall(let path, let bytes, let minimum):
      return "\(path) has only \(bytes) bytes; this needs at least \(minimum): use a longer text"
    case .invalidUTF8(let path, let offset):
      return
        "\(path) is not valid UTF-8 (first bad byte at offset \(offset)): convert it, e.g. `iconv -f latin1 -t utf-8`"
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
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
      throw .folder(path)
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw .missing(path) }
    guard !data.isEmpty else { throw .empty(path) }
    guard data.count >= minimumBytes else { throw .tooSmall(path, bytes: data.count, minimum: minimumBytes) }
    if let offset = firstInvalidUTF8(data) { throw .invalidUTF8(path, offset: offset) }
    return String(decoding: data, as: UTF8.self)
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
