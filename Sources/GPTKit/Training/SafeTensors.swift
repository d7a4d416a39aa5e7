// Chapter 06 introduces this file: reading and writing tensors in the safetensors format.

import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON
/// header `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [start, end]}, ...}`,
/// then the raw little-endian data. PyTorch (`safetensors.torch.load_file`) and Hugging Face
/// `transformers` read it directly; there is no code in it, so loading is safe.
///
/// The workbook writes F32 and reads F32, F16 and BF16 (widened to `Float` on load). A file
/// is checked whole before any tensor is used, the way the format's own reader checks it:
/// the header length fits the file, every shape's size matches its byte range, and the byte
/// ranges tile the data section exactly, in order, with no gap, overlap or byte left over.
public enum SafeTensors {
  public struct Error: Swift.Error, CustomStringConvertible {
    public var description: String
  }

  /// Writes `tensors` (name, shape, values), in order, atomically.
  public static func write(
    _ tensors: [(name: String, shape: [Int], values: UnsafePointer<Float>)], metadata: [String: String] = [:],
    to path: String
  ) throws {
    var header = "{"
    var offset = 0
    if !metadata.isEmpty {
      let fields = metadata.sorted { $0.key < $1.key }.map { "\(quote($0.key)):\(quote($0.value))" }
      header += "\"__metadata__\":{\(fields.joined(separator: ","))},"
    }
    header += tensors.map { t in
      let bytes = t.shape.reduce(1, *) * 4
      defer { offset += bytes }
      return "\(quote(t.name)):{\"dtype\":\"F32\",\"shape\":\(t.shape),\"data_offsets\":[\(offset),\(offset + bytes)]}"
    }.joined(separator: ",")
    header += "}"
    while (8 + header.utf8.count) % 8 != 0 { header += " " }  // align the data to 8 bytes
    var data = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: Array(header.utf8))
    for t in tensors { data.append(UnsafeBufferPointer(start: t.values, count: t.shape.reduce(1, *))) }
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  }

  /// Reads every tensor of a file, widened to `Float`: name → (shape, values).
  public static func read(_ path: String) throws -> [String: (shape: [Int], values: [Float])] {
    let file = try File(path)
    var out: [String: (shape: [Int], values: [Float])] = [:]
    for (name, entry) in file.entries { out[name] = (entry.shape, try file.values(name)) }
    return out
  }

  static func quote(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }

  /// The element types the workbook reads, and their sizes in bytes.
  public enum DType: String, Sendable {
    case F32, F16, BF16
    public var size: Int { self == .F32 ? 4 : 2 }
  }

  /// One tensor's header entry: its type (as written), shape and bytes in the data section.
  public struct Entry: Sendable {
    public let dtype: String
    public let shape: [Int]
    public let bytes: Range<Int>
    public var count: Int { shape.reduce(1, *) }
  }

  /// An opened, checked safetensors file: its header entries, and its bytes mapped into
  /// memory (nothing is read until a tensor is asked for).
  public final class File {
    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let map: UnsafeRawBufferPointer
    private let dataStart: Int

    /// Opens `path` and checks its header against its size; throws a one-line error naming
    /// the file, what is wrong and what to do.
    public init(_ path: String) throws {
      self.path = path
      func fail(_ problem: String) -> Error { Error(description: "\(path) \(problem)") }
      let fd = open(path, O_RDONLY | O_NONBLOCK)  // a FIFO must not block: it is refused below
      guard fd >= 0 else { throw fail("cannot be opened (missing or unreadable): check the path") }
      defer { close(fd) }
      var info = stat()
      guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
        throw fail("is not a regular file: give a .safetensors file")
      }
      let size = Int(info.st_size)
      guard size >= 8 else { throw fail("is truncated (\(size) bytes, no header): the file is damaged, save it again") }
      guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != UnsafeMutableRawPointer(bitPattern: -1)
      else {
        throw fail("cannot be mapped into memory: check that the file is readable")
      }
      map = UnsafeRawBufferPointer(start: base, count: size)
      let header = try Self.headerBytes(map, path)
      dataStart = 8 + header.count
      (entries, metadata) = try Self.parse(header, dataLength: size - dataStart, path)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: map.baseAddress), map.count) }

    /// Copies tensor `name` into `destination` (`count` floats, its shape's product), widening
    /// F16 and BF16, and refuses a tensor that holds NaN or infinity.
    public func read(_ name: String, into destination: UnsafeMutablePointer<Float>) throws {
      guard let entry = entries[name] else { throw Error(description: "\(path) has no tensor \(name)") }
      guard let dtype = DType(rawValue: entry.dtype) else {
        throw Error(
          description: "\(path): tensor \(name) is \(entry.dtype); the workbook reads F32, F16 and BF16: "
            + "convert the model to float32 (model.float().save_pretrained(folder))")
      }
      let source = map.baseAddress! + dataStart + entry.bytes.lowerBound
      let n = entry.count
      switch dtype {
      case .F32: UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: n * 4)
      case .F16:
        for i in 0..<n {
          destination[i] = Self.widen(half: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        }
      case .BF16:
        for i in 0..<n {
          destination[i] = BFloat16(bitPattern: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)).float
        }
      }
      // An exponent of all ones is infinity or NaN, in any of the three types.
      if let bad = (0..<n).first(where: { destination[$0].bitPattern & 0x7F80_0000 == 0x7F80_0000 }) {
        throw Error(
          description: "\(path): tensor \(name) holds \(destination[bad]) at element \(bad): "
            + "the weights are not finite, load an earlier checkpoint")
      }
    }

    /// An IEEE half-precision float (F16: sign 1 | exponent 5 | fraction 10) widened, exactly:
    /// the exponent rebased from 15 to 127 and the fraction shifted up 13 bits; subnormal
    /// halves are `fraction · 2⁻²⁴`, infinities and NaNs stay what they are.
    static func widen(half h: UInt16) -> Float {
      let sign = UInt32(h & 0x8000) << 16
      let (exponent, fraction) = (UInt32(h >> 10) & 0x1F, UInt32(h & 0x3FF))
      if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13) }
      if exponent == 0 {
        let magnitude = Float(fraction) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
      }
      return Float(bitPattern: sign | (exponent + 112) << 23 | fraction << 13)
    }

    /// Tensor `name`'s values as `Float`s.
    public func values(_ name: String) throws -> [Float] {
      let count = entries[name]?.count ?? 0
      return try [Float](unsafeUninitializedCapacity: max(count, 1)) { buffer, initialized in
        buffer.initialize(repeating: 0)
        initialized = count
        try read(name, into: buffer.baseAddress!)
      }
    }

    /// The JSON header's bytes: the length field must be plausible and fit the file.
    static func headerBytes(_ map: UnsafeRawBufferPointer, _ path: String) throws -> UnsafeRawBufferPointer {
      func fail(_ problem: String) -> Error { Error(description: "\(path) \(problem)") }
      let length = UInt64(littleEndian: map.loadUnaligned(as: UInt64.self))
      let limit: UInt64 = 100_000_000  // the format's own limit on a header
      guard length >= 2, length <= limit, length <= UInt64(map.count - 8) else {
        throw fail(
          "has a header length of \(length) bytes for a file of \(map.count): the file is damaged or not safetensors, "
            + "save it again")
      }
      return UnsafeRawBufferPointer(rebasing: map[8..<(8 + Int(length))])
    }

    /// The header's entries, each checked, and checked together: their byte ranges tile the
    /// data section.
    static func parse(
      _ header: UnsafeRawBufferPointer, dataLength: Int, _ path: String
    ) throws -> ([String: Entry], [String: String]) {
      func fail(_ problem: String) -> Error { Error(description: "\(path) \(problem)") }
      guard header.first == UInt8(ascii: "{"),
        let json = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any]
      else { throw fail("has a header that is not a JSON object: the file is damaged, save it again") }
      var metadata: [String: String] = [:]
      if let raw = json["__metadata__"] {
        guard let fields = raw as? [String: String] else {
          throw fail("has a __metadata__ that is not a map of strings: the file is damaged, save it again")
        }
        metadata = fields
      }
      var entries: [String: Entry] = [:]
      for (name, value) in json where name != "__metadata__" {
        entries[name] = try entry(name, value, dataLength: dataLength, path)
      }
      // JSON keeps one of two equal keys: count the entries the text spells out.
      let spelled = String(decoding: header, as: UTF8.self).components(separatedBy: "\"data_offsets\"").count - 1
      guard spelled == entries.count else {
        throw fail("names \(spelled - entries.count) tensor(s) twice in its header: the file is damaged, save it again")
      }
      try checkTiling(entries, dataLength: dataLength, path)
      return (entries, metadata)
    }

    static func entry(_ name: String, _ value: Any, dataLength: Int, _ path: String) throws -> Entry {
      func field(_ what: String) -> Error {
        Error(description: "\(path) has tensor \(name) with \(what): the file is damaged, save it again")
      }
      guard let info = value as? [String: Any], let dtype = info["dtype"] as? String else {
        throw field("no dtype")
      }
      guard let shape = info["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
        throw field("a shape that is not a list of sizes \(info["shape"].map { "\($0)" } ?? "")")
      }
      guard let offsets = info["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1]
      else { throw field("data_offsets that are not [start, end] with 0 <= start <= end") }
      guard offsets[1] <= dataLength else {
        throw field("data_offsets \(offsets) past the end of the data (\(dataLength) bytes): truncated")
      }
      var count = 1
      for size in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, product <= dataLength else { throw field("shape \(shape), larger than the whole file") }
        count = product
      }
      let width = DType(rawValue: dtype)?.size ?? dtypeSizes[dtype] ?? 0
      guard width > 0 else { throw field("unknown dtype \(dtype)") }
      guard count * width == offsets[1] - offsets[0] else {
        throw field("shape \(shape) of \(dtype) (\(count * width) bytes) in data_offsets \(offsets)")
      }
      return Entry(dtype: dtype, shape: shape, bytes: offsets[0]..<offsets[1])
    }

    /// The sizes of the format's other types, so a file holding them still checks as a whole.
    static let dtypeSizes: [String: Int] = [
      "F64": 8, "I64": 8, "U64": 8, "I32": 4, "U32": 4, "I16": 2, "U16": 2, "I8": 1, "U8": 1, "BOOL": 1,
      "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    /// The byte ranges, in order, must start where the previous one ended, from 0 to the end
    /// of the data: a gap, an overlap or a shift means the header and the data disagree.
    static func checkTiling(_ entries: [String: Entry], dataLength: Int, _ path: String) throws {
      func fail(_ problem: String) -> Error { Error(description: "\(path) \(problem)") }
      let ordered = entries.sorted {
        ($0.value.bytes.lowerBound, $0.value.bytes.upperBound) < ($1.value.bytes.lowerBound, $1.value.bytes.upperBound)
      }
      var end = 0
      for (name, entry) in ordered {
        guard entry.bytes.lowerBound == end else {
          let how =
            entry.bytes.lowerBound > end
            ? "leaves bytes \(end)..<\(entry.bytes.lowerBound) unused before it"
            : "overlaps the tensor before it (which ends at \(end))"
          throw fail(
            "has tensor \(name) at data_offsets [\(entry.bytes.lowerBound), \(entry.bytes.upperBound)] that \(how): "
              + "the offsets are damaged, save the file again")
        }
        end = entry.bytes.upperBound
      }
      guard end == dataLength else {
        throw fail(
          "has \(dataLength - end) bytes of data after its last tensor (a misaligned header or a damaged file): "
            + "save it again")
      }
    }
  }
}
