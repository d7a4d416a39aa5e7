import Foundation
import Testing

@testable import GPTKit

/// Every damaged model file is refused before use, in one line naming the file, the field and
/// the fix: safetensors headers and offsets, config.json's values, the weights' shapes and
/// values. Each test writes the damage itself, next to an intact file that loads.
@Suite("06 damaged model files are refused")
struct ModelFileValidationTests {
  /// A safetensors file from a header (as text) and data bytes, the length field given or
  /// the header's own.
  static func raw(_ header: String, data: [UInt8], length: UInt64? = nil) throws -> String {
    let path = temporaryFolder() + ".safetensors"
    var bytes = [UInt8]()
    withUnsafeBytes(of: (length ?? UInt64(header.utf8.count)).littleEndian) { bytes += $0 }
    bytes += Array(header.utf8) + data
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// The error `body` throws, as its one line; fails the test if it does not throw.
  static func refusal(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    Issue.record("expected a refusal")
    return ""
  }

  static func entry(_ dtype: String, _ shape: [Int], _ start: Int, _ end: Int) -> String {
    "{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(start),\(end)]}"
  }

  static let sixteen = [UInt8](repeating: 0, count: 16)

  @Test func anIntactHandWrittenFileReads() throws {
    let path = try Self.raw("{\"a\":\(Self.entry("F32", [2, 2], 0, 16))}", data: Self.sixteen)
    #expect(try SafeTensors.read(path)["a"]?.values == [0, 0, 0, 0])
  }

  @Test(arguments: [
    ("header length 2^64 - 1", UInt64.max, "header length"),
    ("header length 2^63", UInt64(1) << 63, "header length"),
    ("header length past the file", 1_000_000, "header length"),
  ])
  func anImpossibleHeaderLengthIsRefused(_ name: String, length: UInt64, expected: String) throws {
    let path = try Self.raw("{\"a\":\(Self.entry("F32", [4], 0, 16))}", data: Self.sixteen, length: length)
    let message = Self.refusal { _ = try SafeTensors.File(path) }
    #expect(message.contains(path) && message.contains(expected) && !message.contains("\n"), "\(name): \(message)")
  }

  @Test(arguments: [
    ("a shape whose product overflows", "{\"a\":\(entry("F32", [1 << 40, 1 << 40], 0, 16))}", "larger than"),
    ("a negative size", "{\"a\":\(entry("F32", [-4], 0, 16))}", "shape"),
    ("negative offsets", "{\"a\":\(entry("F32", [4], -16, 0))}", "data_offsets"),
    ("offsets past the end", "{\"a\":\(entry("F32", [8], 0, 32))}", "past the end"),
    ("a shape that does not fill its offsets", "{\"a\":\(entry("F32", [3], 0, 16))}", "shape [3]"),
    (
      "overlapping tensors", "{\"a\":\(entry("F32", [2], 0, 8)),\"b\":\(entry("F32", [2], 4, 12))}",
      "overlaps"
    ),
    (
      "a gap between tensors", "{\"a\":\(entry("F32", [1], 0, 4)),\"b\":\(entry("F32", [2], 8, 16))}",
      "unused"
    ),
    ("offsets shifted by 4", "{\"a\":\(entry("F32", [3], 4, 16))}", "unused"),
    ("data left after the last tensor", "{\"a\":\(entry("F32", [2], 0, 8))}", "after its last tensor"),
    ("a name twice", "{\"a\":\(entry("F32", [2], 0, 8)),\"a\":\(entry("F32", [2], 8, 16))}", "twice"),
    ("an unknown dtype", "{\"a\":\(entry("Q4", [4], 0, 16))}", "unknown dtype Q4"),
    ("no dtype", "{\"a\":{\"shape\":[4],\"data_offsets\":[0,16]}}", "no dtype"),
    ("a header that is not JSON", "{\"a\":[1,2", "not a JSON object"),
    ("metadata that is not strings", "{\"__metadata__\":{\"x\":1},\"a\":\(entry("F32", [4], 0, 16))}", "__metadata__"),
  ])
  func aDamagedHeaderIsRefused(_ name: String, header: String, expected: String) throws {
    let path = try Self.raw(header, data: Self.sixteen)
    let message = Self.refusal { _ = try SafeTensors.File(path) }
    #expect(message.contains(path) && message.contains(expected) && !message.contains("\n"), "\(name): \(message)")
  }

  @Test func aMisalignedHeaderIsRefused() throws {
    // Our writer pads the header to 8 bytes with spaces; a length field that leaves the
    // padding out puts those spaces at the start of the data.
    let header = "{\"a\":\(Self.entry("F32", [4], 0, 16))}"
    let path = try Self.raw(header + "   ", data: Self.sixteen, length: UInt64(header.utf8.count))
    #expect(Self.refusal { _ = try SafeTensors.File(path) }.contains("3 bytes of data after its last tensor"))
  }

  @Test func halfPrecisionIsWidenedAndOtherTypesAreNamed() throws {
    // 1, -2, 0.5 as F16 (0x3C00, 0xC000, 0x3800) and as BF16 (0x3F80, 0xC000, 0x3F00).
    let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38]
    let bf16: [UInt8] = [0x80, 0x3F, 0x00, 0xC0, 0x00, 0x3F]
    let header =
      "{\"h\":\(Self.entry("F16", [3], 0, 6)),\"b\":\(Self.entry("BF16", [3], 6, 12))"
      + ",\"i\":\(Self.entry("I64", [1], 12, 20))}"
    let path = try Self.raw(header, data: f16 + bf16 + [UInt8](repeating: 0, count: 8))
    let file = try SafeTensors.File(path)
    #expect(try file.values("h") == [1, -2, 0.5] && file.values("b") == [1, -2, 0.5])
    #expect(Self.refusal { _ = try file.values("i") }.contains("tensor i is I64"))
  }

  #if !(os(macOS) && arch(x86_64))  // Swift's own Float16 is missing there
    @Test func everyHalfIsWidenedAsSwiftsFloat16Does() {
      let wrong = (0...UInt16.max).filter { h in
        let (ours, swift) = (SafeTensors.File.widen(half: h), Float(Float16(bitPattern: h)))
        return ours.bitPattern != swift.bitPattern && !(ours.isNaN && swift.isNaN)
      }
      #expect(wrong.isEmpty, "\(wrong.count) halves differ, the first \(wrong.first ?? 0)")
    }
  #endif

  @Test func nonFiniteWeightsAreRefused() throws {
    for bad in [Float.nan, .infinity, -.infinity] {
      let values: [Float] = [1, bad, 3]
      let path = temporaryFolder() + ".safetensors"
      try values.withUnsafeBufferPointer { try SafeTensors.write([("w", [3], $0.baseAddress!)], to: path) }
      let message = Self.refusal { _ = try SafeTensors.read(path) }
      #expect(message.contains("tensor w holds") && message.contains("element 1"), "\(message)")
    }
  }

  // MARK: - Model folders

  static let fixture = HuggingFaceLoadTests.fixtures + "/bf16-tied-tokenizer-json"

  /// A copy of the bfloat16 fixture with `config.json` edited by `edit`.
  static func folder(editing edit: (inout [String: Any]) -> Void) throws -> String {
    let folder = temporaryFolder()
    try FileManager.default.copyItem(atPath: fixture, toPath: folder)
    let url = URL(fileURLWithPath: "\(folder)/config.json")
    var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    edit(&json)
    try JSONSerialization.data(withJSONObject: json).write(to: url)
    return folder
  }

  @Test(arguments: [
    ("n_head", "0", "n_head is 0"),
    ("n_head", "3", "does not divide into n_head 3"),
    ("n_embd", "-16", "n_embd is -16"),
    ("n_layer", "1048576", "n_layer is 1048576, outside 1...4096"),
    ("vocab_size", "2147483648", "vocab_size is 2147483648"),
    ("n_positions", "2.5", "n_positions is 2.5, not a whole number"),
    ("activation_function", "\"relu\"", "activation_function is relu"),
    ("model_type", "\"llama\"", "model_type is llama"),
    ("layer_norm_epsilon", "1e-6", "layer_norm_epsilon"),
    ("n_inner", "99", "n_inner is 99"),
    ("scale_attn_by_inverse_layer_idx", "true", "scale_attn_by_inverse_layer_idx"),
    ("n_embd", "32", "transformer.wte.weight is [400, 16] but config.json"),
    ("vocab_size", "399", "is [400, 16] but config.json"),
  ])
  func aConfigThatIsWrongOrNotOursIsRefused(_ key: String, value: String, expected: String) throws {
    let parsed = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
    let folder = try Self.folder { $0[key] = parsed }
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let message = Self.refusal { _ = try Checkpoint.loadModel(folder) }
    #expect(message.contains(expected) && !message.contains("\n"), "\(key) \(value): \(message)")
  }

  @Test func aFIFOOrAFolderIsRefusedWithoutWaiting() throws {
    let folder = try Self.folder { _ in }
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.removeItem(atPath: "\(folder)/model.safetensors")
    #expect(mkfifo("\(folder)/model.safetensors", 0o600) == 0)
    #expect(Self.refusal { _ = try Checkpoint.loadModel(folder) }.contains("is not a regular file"))
    try FileManager.default.removeItem(atPath: "\(folder)/config.json")
    #expect(mkfifo("\(folder)/config.json", 0o600) == 0)
    #expect(Self.refusal { _ = try Checkpoint.loadModel(folder) }.contains("config.json is missing"))
    let directory = temporaryFolder()
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    #expect(Self.refusal { _ = try SafeTensors.File(directory) }.contains("is not a regular file"))
  }

  @Test func aMissingKeyIsNamed() throws {
    let folder = try Self.folder { $0["n_layer"] = nil }
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect(Self.refusal { _ = try Checkpoint.config(folder) }.contains("has no n_layer"))
  }

  @Test func ourOwnKeyMustAgreeWithHuggingFacesAndBeValid() throws {
    let ours = GPTConfig(vocabularySize: 400, contextLength: 64, layerCount: 2, headCount: 2, channels: 16)
    let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(ours)) as! [String: Any]
    let agreeing = try Self.folder { $0["workbook"] = encoded }
    #expect(try Checkpoint.config(agreeing) == ours)
    var contradicting = encoded
    contradicting["headCount"] = 4
    let folder = try Self.folder { $0["workbook"] = contradicting }
    #expect(Self.refusal { _ = try Checkpoint.config(folder) }.contains("workbook.headCount 4 contradicts n_head 2"))
    var invalid = encoded
    (invalid["headCount"], invalid["channels"]) = (0, 16)
    let broken = try Self.folder { $0["workbook"] = invalid }
    #expect(Self.refusal { _ = try Checkpoint.config(broken) }.contains("headCount is 0"))
    for f in [agreeing, folder, broken] { try? FileManager.default.removeItem(atPath: f) }
  }

  @Test func missingOrForeignTensorsAreRefused() throws {
    let folder = try Self.folder { _ in }
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = "\(folder)/model.safetensors"
    var tensors = try SafeTensors.read(path)
    let original = tensors
    tensors["transformer.h.1.mlp.c_fc.bias"] = nil
    try Self.write(tensors, to: path)
    #expect(
      Self.refusal { _ = try Checkpoint.loadModel(folder) }.contains("has no tensor transformer.h.1.mlp.c_fc.bias"))
    tensors = original
    tensors["transformer.h.2.ln_1.weight"] = ([16], [Float](repeating: 1, count: 16))
    try Self.write(tensors, to: path)
    #expect(Self.refusal { _ = try Checkpoint.loadModel(folder) }.contains("holds transformer.h.2.ln_1.weight"))
    tensors = original
    tensors["transformer.h.0.attn.c_proj.bias"]!.values[3] = .nan
    try Self.write(tensors, to: path)
    #expect(Self.refusal { _ = try Checkpoint.loadModel(folder) }.contains("not finite"))
    try Self.write(original, to: path)
    _ = try Checkpoint.loadModel(folder)  // and intact, it loads
  }

  static func write(_ tensors: [String: (shape: [Int], values: [Float])], to path: String) throws {
    let sorted = tensors.sorted { $0.key < $1.key }
    let pointers = sorted.map { $0.value.values.withUnsafeBufferPointer { UnsafePointer(copying: $0) } }
    defer { pointers.forEach { $0.deallocate() } }
    try SafeTensors.write(zip(sorted, pointers).map { ($0.key, $0.value.shape, $1) }, to: path)
  }
}

/// GPT-2 tokenizers as Hugging Face saves them: the ones this workbook cannot run exactly are
/// refused in one line, naming the file and what it uses.
@Suite("07 Hugging Face tokenizer files are checked")
struct HuggingFaceTokenizerFileTests {
  static let source = HuggingFaceLoadTests.fixtures + "/bf16-tied-tokenizer-json/tokenizer.json"

  /// A copy of the fixture's tokenizer.json edited by `edit`, and what loading it says.
  static func refusal(_ edit: (inout [String: Any]) -> Void) throws -> String {
    var json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source))) as? [String: Any])
    edit(&json)
    let path = temporaryFolder() + "-tokenizer.json"
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    return ModelFileValidationTests.refusal { _ = try HuggingFaceTokenizer.load(tokenizerJSON: path) }
  }

  static func editModel(_ json: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
    var model = json["model"] as! [String: Any]
    edit(&model)
    json["model"] = model
  }

  @Test func theFixtureLoadsWithItsSpecialToken() throws {
    let tokenizer = try HuggingFaceTokenizer.load(tokenizerJSON: Self.source)
    #expect(tokenizer.vocabularySize == 400 && tokenizer.specialTokens == ["<|endoftext|>": 399])
    #expect(tokenizer.pattern == .gpt2)
  }

  @Test func whatIsNotGPT2sByteLevelBPEIsRefused() throws {
    #expect(try Self.refusal { Self.editModel(&$0) { $0["type"] = "WordPiece" } }.contains("not BPE"))
    #expect(try Self.refusal { $0["normalizer"] = ["type": "NFC"] }.contains("normalizer"))
    #expect(
      try Self.refusal { $0["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": true] }
        .contains("adds a prefix space"))
    #expect(try Self.refusal { $0["pre_tokenizer"] = ["type": "Whitespace"] }.contains("pre_tokenizer"))
    #expect(
      try Self.refusal { Self.editModel(&$0) { $0["continuing_subword_prefix"] = "##" } }
        .contains("continuing_subword_prefix"))
  }

  @Test func mergesOutOfRankOrderAndMissingBytesAreRefused() throws {
    let swapped = try Self.refusal {
      Self.editModel(&$0) { model in
        var merges = model["merges"] as! [Any]
        merges.swapAt(0, 5)
        model["merges"] = merges
      }
    }
    #expect(swapped.contains("below an earlier merge"), "\(swapped)")
    let noByte = try Self.refusal {
      Self.editModel(&$0) { model in
        var vocabulary = model["vocab"] as! [String: Any]
        vocabulary["!"] = nil
        model["vocab"] = vocabulary
      }
    }
    #expect(noByte.contains("byte 33 (!) is not a token"), "\(noByte)")
    let unknown = try Self.refusal {
      Self.editModel(&$0) { model in model["merges"] = [["zz", "qq"]] + (model["merges"] as! [Any]) }
    }
    #expect(unknown.contains("merge zz qq is not of tokens"), "\(unknown)")
  }
}

extension UnsafePointer where Pointee == Float {
  /// A new buffer holding `values` (the test frees it).
  init(copying values: UnsafeBufferPointer<Float>) {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, values.count))
    p.initialize(from: values.baseAddress!, count: values.count)
    self.init(p)
  }
}
