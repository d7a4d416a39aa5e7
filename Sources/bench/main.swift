// `swift run -c release bench [suite...] [--json] [--threads N] [--config A|B|C] [--torch FILE] [--torch-live]`:
// the workbook's speed, as a fraction of this machine's FMA peak measured beside each figure,
// against PyTorch on this machine, and against the reference figures in References.swift.
// Benchmarks are never tests: no timing is asserted anywhere in `swift test`.

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
var roundsGiven = false
var words = CommandLine.arguments.dropFirst()[...]
while let word = words.popFirst() {
  switch word {
  case "--json": json = true
  case "--torch":
    guard let path = words.popFirst() else {
      fail("--torch needs the path of torch_speed.py's results (runs/torch_speed.jsonl)", code: 2)
    }
    torchPath = path
  case "--torch-live": TorchLive.enabled = true
  case "--rounds":
    guard let value = words.popFirst().flatMap(Int.init), (1...20).contains(value) else {
      fail("--rounds needs a whole number from 1 to 20 (rounds of each side with --torch-live)", code: 2)
    }
    (TorchLive.rounds, roundsGiven) = (value, true)
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
      "usage: swift run -c release bench [suite...] [--json] [--threads N] [--config A|B|C] [--torch FILE] "
        + "[--torch-live [--rounds N]]\n\nsuites:")
    for (name, (about, _)) in suites.sorted(by: { $0.key < $1.key }) {
      print("  \(name.padding(toLength: 10, withPad: " ", startingAt: 0))\(about)")
    }
    print("\nWith no suite named, every suite runs. --threads defaults to 2, as in the reference runs.")
    print("--config limits the model and train suites to one reference config.")
    print("--torch FILE adds ratios against PyTorch measured on this machine: the JSON lines that")
    print("  Tests/Interop/torch_speed.py writes to runs/torch_speed.jsonl.")
    print("--torch-live runs that script inside the train suite, one config at a time, alternating")
    print("  with our own rounds (--rounds of each, default 2), so both are timed in the same minutes.")
    print("Every fraction of the peak (MFU) divides by the FMA peak measured just before and after its figure.")
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
if roundsGiven && !TorchLive.enabled { fail("--rounds counts --torch-live's rounds: add --torch-live", code: 2) }
if TorchLive.enabled && !chosen.contains("train") {
  fail("--torch-live times training steps: name the train suite too (bench train --torch-live)", code: 2)
}
if TorchLive.enabled { TorchLive.checkAvailable() }
let torchHere = torchPath.map { TorchHere(path: $0) }

#if DEBUG
  FileHandle.standardError.write(
    Data("warning: this is a debug build; run `swift run -c release bench` for real figures\n".utf8))
#endif
Parallel.threadCount = threads
let peak = PeakFlops.measure(threads: threads, seconds: 0.5)
if !json {
  print(
    "bench · \(Machine.cpuModel) · \(threads) threads · FMA peak at the start \(peak.formatted(decimals: 1)) GFLOP/s")
  print("reference machine: \(Reference.machine)")
  print("ratio = times better than the reference (> 1 beats it); it holds only on that machine\n")
}
for suite in chosen {
  let results = suites[suite]!.1(peak)
  for r in results {
    let torch =
      r.torchLive.map { (tokensPerSecond: $0.tokensPerSecond, how: "timed alternately with ours") }
      ?? r.key.flatMap { torchHere?.best[$0] }
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
        let memory = r.torchLive.flatMap { live in r.peakMB.map { ", memory \($0) / \(live.peakMB) MB" } } ?? ""
        print("       PyTorch on this machine: \(theirs) tok/s (\(torch.how)), ratio here \(ratioHere)\(memory)")
        if let torchMFU = r.torchMFU {
          let ceiling = (1 / torchMFU).formatted(decimals: 2)
          print("       PyTorch's MFU \(percent(torchMFU)): ours at 100% of the peak would be \(ceiling) times PyTorch")
        }
      }
    }
  }
}
