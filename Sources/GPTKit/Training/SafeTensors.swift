// Chapter 06 introduces this file: reading and writing tensors in the safetensors format.

import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON
/// header `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [start, end]}, ...}`,
/// then the raw little-endian data. PyTorch (`safetensors.torch.load_file`) and Hugging Face
/// `transformers` read it directly; there is no code in it, so loading is safe.
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

  /// Reads every F32 tensor of a file: name → (shape, values).
  public static func read(_ path: String) throws -> [String: (shape: [Int], values: [Float])] {
    guard let data = FileManager.default.contents(atPath: path) else { throw Error(description: "\(path) not found") }
    guard data.count >= 8 else { throw Error(description: "\(path) is truncated (no header)") }
    let length = data.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
    guard length > 0, 8 + length <= data.count,
      let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any]
    else { throw Error(description: "\(path) has a damaged header") }
    var out: [String: (shape: [Int], values: [Float])] = [:]
    let body = data.subdata(in: (8 + length)..<data.count)
    for (name, value) in header where name != "__metadata__" {
      guard let info = value as? [String: Any], info["dtype"] as? String == "F32", let shape = info["shape"] as? [Int],
        let offsets = info["data_offsets"] as? [Int], offsets.count == 2, offsets[0] <= offsets[1],
        offsets[1] <= body.count,
        offsets[1] - offsets[0] == shape.reduce(1, *) * 4
      else { throw Error(description: "\(path): tensor \(name) is damaged or truncated") }
      let values = body.subdata(in: offsets[0]..<offsets[1]).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      out[name] = (shape, values)
    }
    return out
  }

  static func quote(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
