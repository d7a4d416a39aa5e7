// The fuzz harness (issue 16): damaged copies of a small checkpoint, each read by a child
// process the way chapters 07 (`fuzz load`) and 06 `--resume` (`fuzz resume`) read one.

import Foundation
import GPTKit

/// A safetensors file split into its header (as JSON) and its data.
struct SafeTensorsFile {
  var header: [String: Any]
  var data: Data

  init(_ bytes: Data) {
    let length = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    header = (try? JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + length)))) as? [String: Any] ?? [:]
    data = bytes.subdata(in: (8 + length)..<bytes.count)
  }

  var bytes: Data {
    var text = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while (8 + text.count) % 8 != 0 { text.append(UInt8(ascii: " ")) }
    return withUnsafeBytes(of: UInt64(text.count).littleEndian) { Data($0) } + text + data
  }

  var tensorNames: [String] { header.keys.filter { $0 != "__metadata__" }.sorted() }
}

/// One way to damage a file of a checkpoint folder: its name and what it does to the bytes.
typealias Damage = (label: String, file: String, change: (Data, inout SplitMix64) -> Data)

/// Ways to damage each file: every one makes the file invalid (a bit flip that leaves a finite
/// weight is a different valid checkpoint, which no reader can tell without a checksum).
func damages() -> [Damage] {
  func header(
    _ label: String, _ file: String, _ edit: @escaping (inout SafeTensorsFile, String, inout SplitMix64) -> Void
  )
    -> Damage
  {
    (
      label, file,
      { bytes, rng in
        var parsed = SafeTensorsFile(bytes)
        let names = parsed.tensorNames
        edit(&parsed, names[rng.nextInt(below: names.count)], &rng)
        return parsed.bytes
      }
    )
  }
  func field(_ name: String, _ key: String, _ value: Any) -> (inout SafeTensorsFile, String, inout SplitMix64) -> Void {
    { file, tensor, _ in
      var info = file.header[tensor] as! [String: Any]
      info[key] = value
      file.header[tensor] = info
    }
  }
  func offsets(_ move: @escaping ([Int]) -> [Int]) -> (inout SafeTensorsFile, String, inout SplitMix64) -> Void {
    { file, tensor, _ in
      var info = file.header[tensor] as! [String: Any]
      info["data_offsets"] = move(info["data_offsets"] as! [Int])
      file.header[tensor] = info
    }
  }
  func lengthField(_ value: UInt64) -> (Data, inout SplitMix64) -> Data {
    { bytes, _ in withUnsafeBytes(of: value.littleEndian) { Data($0) } + bytes.dropFirst(8) }
  }
  func nonFinite(_ pattern: UInt32) -> (Data, inout SplitMix64) -> Data {
    { bytes, rng in
      let parsed = SafeTensorsFile(bytes)
      var out = bytes
      let start = bytes.count - parsed.data.count + 4 * rng.nextInt(below: parsed.data.count / 4)
      withUnsafeBytes(of: pattern.littleEndian) { out.replaceSubrange(start..<(start + 4), with: $0) }
      return out
    }
  }
  var all: [Damage] = []
  for file in ["model.safetensors", "optimizer.safetensors"] {
    all += [
      ("length 0", file, lengthField(0)), ("length 2^63", file, lengthField(1 << 63)),
      ("length 2^64-1", file, lengthField(.max)),
      ("length +8", file, { b, r in lengthField(SafeTensorsFile(b).headerLength + 8)(b, &r) }),
      ("length -1", file, { b, r in lengthField(SafeTensorsFile(b).headerLength - 1)(b, &r) }),
      ("truncated", file, { b, rng in b.prefix(rng.nextInt(below: b.count)) }),
      ("garbage appended", file, { b, _ in b + Data([1, 2, 3, 4, 5, 6, 7, 8]) }),
      ("NaN weight", file, nonFinite(0x7FC0_0000)), ("inf weight", file, nonFinite(0x7F80_0000)),
      (
        "header byte flipped", file,
        { b, rng in
          var out = b
          let i = 8 + rng.nextInt(below: Int(SafeTensorsFile(b).headerLength))
          out[i] ^= UInt8(1 << rng.nextInt(below: 8))
          return out
        }
      ),
      header(
        "shape doubled", file,
        { f, t, _ in
          var info = f.header[t] as! [String: Any]
          info["shape"] = (info["shape"] as! [Int]).map { $0 * 2 }
          f.header[t] = info
        }),
      header("shape [2^40]", file, field("shape", "shape", [1 << 40])),
      header("shape [-1]", file, field("shape", "shape", [-1])),
      header("dtype F16", file, field("dtype", "dtype", "F16")),
      header(
        "dtype missing", file,
        { f, t, _ in
          var info = f.header[t] as! [String: Any]
          info["dtype"] = nil
          f.header[t] = info
        }),
      header("offsets negative", file, offsets { $0.map { $0 - 1 << 20 } }),
      header("offsets shifted 4", file, offsets { $0.map { $0 + 4 } }),
      header("offsets reversed", file, offsets { [$0[1], $0[0]] }),
      header("offsets past the end", file, offsets { $0.map { $0 + 1 << 30 } }),
      header("offsets 2^62", file, offsets { _ in [1 << 62, 1 << 62] }),
      header("tensor removed", file, { f, t, _ in f.header[t] = nil }),
      header("tensor added", file, { f, t, _ in f.header["extra.weight"] = f.header[t] }),
    ]
  }
  func json(_ label: String, _ file: String, _ edit: @escaping (inout [String: Any], inout SplitMix64) -> Void)
    -> Damage
  {
    (
      label, file,
      { bytes, rng in
        var object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] ?? [:]
        edit(&object, &rng)
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
      }
    )
  }
  let configKeys = ["vocab_size", "n_positions", "n_ctx", "n_embd", "n_layer", "n_head"]
  let workbookKeys = ["vocabularySize", "contextLength", "layerCount", "headCount", "channels"]
  let odd: [Any] = [0, -1, 1 << 31, 1 << 20, 3, 3.5, "x", NSNull(), 1e300]
  for (i, value) in odd.enumerated() {
    all.append(
      json("config \(configKeys[i % configKeys.count]) = \(value)", "config.json") { c, _ in
        c[configKeys[i % configKeys.count]] = value
      })
    all.append(
      json("config workbook.\(workbookKeys[i % workbookKeys.count]) = \(value)", "config.json") { c, _ in
        var workbook = c["workbook"] as? [String: Any] ?? [:]
        workbook[workbookKeys[i % workbookKeys.count]] = value
        c["workbook"] = workbook
      })
  }
  all += [
    json("config dropout NaN", "config.json") { c, _ in
      var w = c["workbook"] as! [String: Any]
      w["dropout"] = "nan"
      c["workbook"] = w
    },
    ("config truncated", "config.json", { b, rng in b.prefix(rng.nextInt(below: b.count)) }),
    ("config empty object", "config.json", { _, _ in Data("{}".utf8) }),
    ("rank file truncated", "bpe.tiktoken", { b, rng in b.prefix(rng.nextInt(below: b.count)) }),
    (
      "rank file line removed", "bpe.tiktoken",
      { b, rng in
        var lines = b.split(separator: UInt8(ascii: "\n"))
        lines.remove(at: rng.nextInt(below: lines.count))
        return Data(lines.joined(separator: [UInt8(ascii: "\n")])) + Data("\n".utf8)
      }
    ),
    json("sidecar special id 99999", "bpe.json") { c, _ in c["special_tokens"] = ["<|endoftext|>": 99_999] },
    json("sidecar pattern unknown", "bpe.json") { c, _ in c["pattern"] = "nope" },
  ]
  let stateEdits: [(String, (inout [String: Any]) -> Void)] = [
    ("step -1", { $0["step"] = -1 }), ("step Int.max", { $0["step"] = Int.max }),
    ("optimizerStep Int.max", { $0["optimizerStep"] = Int.max }), ("history []", { $0["history"] = [Any]() }),
    (
      "history NaN",
      { s in
        var h = s["history"] as! [[String: Any]]
        h[h.count - 1]["validationLoss"] = "nan"
        s["history"] = h
      }
    ),
    ("best 0", { $0["bestValidationLoss"] = 0 }),
    (
      "loader.next -1",
      { s in
        var l = s["loader"] as! [String: Any]
        l["next"] = -1
        s["loader"] = l
      }
    ),
    (
      "loader.order short",
      { s in
        var l = s["loader"] as! [String: Any]
        l["order"] = Array((l["order"] as! [Int]).prefix(3))
        s["loader"] = l
      }
    ),
    (
      "loader.order repeated",
      { s in
        var l = s["loader"] as! [String: Any]
        var order = l["order"] as! [Int]
        order[0] = order[1]
        l["order"] = order
        s["loader"] = l
      }
    ),
    (
      "loader.epoch -5",
      { s in
        var l = s["loader"] as! [String: Any]
        l["epoch"] = -5
        s["loader"] = l
      }
    ),
    (
      "options.batchSize 0",
      { s in
        var o = s["options"] as! [String: Any]
        o["batchSize"] = 0
        s["options"] = o
      }
    ),
    ("options removed", { $0["options"] = nil }),
  ]
  for (label, edit) in stateEdits { all.append(json("state \(label)", "state.json") { s, _ in edit(&s) }) }
  all.append(("state truncated", "state.json", { b, rng in b.prefix(rng.nextInt(below: b.count)) }))
  return all
}

extension SafeTensorsFile {
  var headerLength: UInt64 { UInt64(bytes.count - data.count - 8) }
}

/// Checkpoint cases: every damage, each applied to a fresh copy of `base` with its own seed.
func checkpointCases(bin: String, work: String, scratch: String, rng: inout SplitMix64) -> [Case] {
  let base = "\(scratch)/base"
  let trained = run(
    "\(bin)/ch06-training",
    [
      "--quick", "--steps", "4", "--eval-interval", "2", "--layers", "1", "--channels", "16", "--heads", "2",
      "--context", "16", "--batch", "4", "--out", base,
    ], in: work, timeout: 300)
  // Its checks fail (a model this small learns little): only the checkpoint matters here.
  guard let state = try? Checkpoint.state("\(base)/latest") else {
    fail("could not train the base checkpoint: \(trained.stderr)")
  }
  let me = CommandLine.arguments[0]
  let windows = "\(state.loader.order.count)"
  let consumers = [
    ("load", run(me, ["load", "\(base)/latest"], in: work, timeout: 60).stdout),
    ("resume", run(me, ["resume", "\(base)/latest", windows], in: work, timeout: 60).stdout),
  ]
  // Damages that draw from the generator (where to cut, which byte) run six times each.
  let drawn = [
    "truncated", "header byte flipped", "NaN weight", "inf weight", "shape doubled", "rank file line removed",
  ]
  var cases: [Case] = []
  for round in 0..<6 {
    for damage in damages() where round == 0 || drawn.contains(where: damage.label.hasPrefix) {
      let seed = rng.next()
      let readers =
        ["state.json", "optimizer.safetensors"].contains(damage.file) ? consumers.suffix(1) : consumers[...]
      for (consumer, baseline) in readers {
        let folder = "\(scratch)/ck-\(cases.count)/latest"
        let arguments = [consumer, folder] + (consumer == "resume" ? [windows] : [])
        cases.append(
          Case(
            category: "checkpoint", label: "\(damage.file): \(damage.label)", executable: me, arguments: arguments,
            timeout: 60, baseline: baseline
          ) {
            let fm = FileManager.default
            try? fm.removeItem(atPath: folder)
            try fm.createDirectory(
              atPath: (folder as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: "\(base)/latest", toPath: folder)
            let path = "\(folder)/\(damage.file)"
            var r = SplitMix64(seed: seed)
            try damage.change(try Data(contentsOf: URL(fileURLWithPath: path)), &r).write(
              to: URL(fileURLWithPath: path))
          })
      }
    }
  }
  rng.shuffle(&cases)
  return cases
}
