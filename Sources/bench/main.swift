// `swift run -c release bench [suite...] [--json] [--threads N] [--config A|B|C] [--torch FILE]`: the workbook's speed,
// measured against the reference figures in References.swift. Benchmarks are never tests:
// no timing is asserted anywhere in `swift test`.

import Foundation
import GPTKit

let suites: [String: (String, (_ peak: Double) -> [BenchResult])] = [
  "gemm": ("matrix multiplies of a GPT layer's shapes, forward and backward forms", GemmSuite.run),
  "kernels": ("time per op of one layer at config B shapes (where a step goes)", KernelSuite.run),
  "model": ("GPT forward + backward for configs A, B, C (tokens/s, memory)", ModelSuite.run),
  "train": ("full training steps (forward, backward, AdamW) for configs A, B, C", TrainSuite.run),
  "generate": ("batch-1 generation, config B, with and without the KV cache", GenerateSuite.run),
  "gpt2": ("GPT-2 124M at full size: load, memory, cached generation, a training step at B 4 T 64", GPT2Suite.run),
  "tokenizer": ("BPE training (vocab 512, 4096) and cl100k encoding on corpora/shakespeare.txt", TokenizerSuite.run),
]

var json = false
var threads = 2
var chosen: [String] = []
var torchPath: String?
var words = CommandLine.arguments.dropFirst()[...]
while let word = words.popFirst() {
  switch word {
  case "--json": json = true
  case "--torch":
    guard let path = words.popFirst() else {
      fail("--torch needs the path of torch_speed.py's results (runs/torch_speed.jsonl)", code: 2)
    }
    torchPath = path
  case "--config":
    guard let value = words.popFirst()?.uppercased(), ["A", "B", "C"].contains(value) else {
      fail("--config needs one of A, B, C (the reference configs)", code: 2)
    }
    ModelSuite.only = value
  case "--threads":
    guard let value = words.popFirst().flatMap(Int.init), value > 0 else {
      fail("--threads needs a positive whole number", code: 2)
    }
    threads = value
  case "--help", "-h":
    print(
      "usage: swift run -c release bench [suite...] [--json] [--threads N] [--config A|B|C] [--torch FILE]\n\nsuites:")
    for (name, (about, _)) in suites.sorted(by: { $0.key < $1.key }) {
      print("  \(name.padding(toLength: 10, withPad: " ", startingAt: 0))\(about)")
    }
    print("\nWith no suite named, every suite runs. --threads defaults to 2, as in the reference runs.")
    print("--config limits the model and train suites to one reference config.")
    print("--torch FILE adds ratios against PyTorch measured on this machine: the JSON lines that")
    print("  Tests/Interop/torch_speed.py writes to runs/torch_speed.jsonl.")
    exit(0)
  default:
    guard suites[word] != nil else {
      fail(
        "unknown suite or option '\(word)' (suites: \(suites.keys.sorted().joined(separator: ", ")); see bench --help)",
        code: 2)
    }
    chosen.append(word)
  }
}
if chosen.isEmpty { chosen = suites.keys.sorted() }
let torchHere = torchPath.map { TorchHere(path: $0) }

#if DEBUG
  FileHandle.standardError.write(
    Data("warning: this is a debug build; run `swift run -c release bench` for real figures\n".utf8))
#endif
Parallel.threadCount = threads
let peak = PeakFlops.measure(threads: threads, seconds: 0.5)
if !json {
  print("bench · \(threads) threads · this machine's FMA peak \(peak.formatted(decimals: 1)) GFLOP/s")
  print("reference machine: \(Reference.machine)")
  print("ratio = times better than the reference (> 1 beats it); it holds only on that machine\n")
}
for suite in chosen {
  let results = suites[suite]!.1(peak)
  for r in results {
    let torch = r.key.flatMap { torchHere?.best[$0] }
    if json {
      print(r.json(torchHere: torch?.tokensPerSecond))
    } else {
      let ratio = r.ratio.map { $0.formatted(decimals: 2) } ?? "–"
      let reference = r.reference.map { $0.formatted(significant: 3) } ?? "–"
      let name = r.name.padding(toLength: 56, withPad: " ", startingAt: 0)
      let value = r.value.formatted(significant: 4)
      print("\(r.suite)  \(name) \(value) \(r.unit)  \(r.notes)  ref \(reference) (\(r.basis))  ratio \(ratio)")
      if let torch {
        let (theirs, here) = (torch.tokensPerSecond.formatted(significant: 4), r.value / torch.tokensPerSecond)
        let ratioHere = here.formatted(decimals: 2)
        print("       PyTorch on this machine: \(theirs) tok/s (\(torch.how)), ratio here \(ratioHere)")
      }
    }
  }
}
