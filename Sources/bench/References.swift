// The figures the benchmarks compare against, copied from the project's reference runs so
// that the workbook carries them (learners do not have the measuring scripts).

/// Reference figures and the machine they were measured on.
///
/// A ratio (ours / reference) only means something on that machine: a laptop with a
/// different CPU changes both sides. The bench therefore also prints the fraction of *this*
/// machine's measured FMA peak, which does carry across machines.
enum Reference {
  static let machine =
    "2 vCPU AMD EPYC (Zen 5, AVX-512, 2.6 GHz nominal, FMA peak ~512 GFLOP/s), 24 GiB, fp32, 2 threads, best of 3"

  /// OpenBLAS with its AVX-512 (SkylakeX) kernel, GFLOP/s, keyed by "MxK·KxN".
  static let openBLASAVX512: [String: Double] = [
    "8192x384·384x1152": 440,
    "8192x384·384x1536": 434,
    "8192x1536·1536x384": 424,
    "8192x384·384x384": 428,
    "384x8192·8192x1152": 441,
    "1024x1024·1024x1024": 448,
  ]

  /// PyTorch 2.15 with MKL forced onto AVX-512 ("PyTorch best"), GFLOP/s.
  static let pyTorchBest: [String: Double] = [
    "8192x384·384x1152": 461,
    "8192x384·384x1536": 473,
    "8192x1536·1536x384": 434,
    "8192x384·384x384": 437,
    "384x8192·8192x1152": 437,
    "1024x1024·1024x1024": 457,
  ]
}
