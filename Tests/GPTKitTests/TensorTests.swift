import Testing

@testable import GPTKit

@Suite("00 tensors: layout and random numbers")
struct TensorTests {
  @Test func rowMajorLayout() {
    var x = Tensor(shape: [2, 3, 4])
    #expect(x.strides == [12, 4, 1])
    x[1, 2, 3] = 7
    #expect(x.storage[(1 * 3 + 2) * 4 + 3] == 7)  // (b*T + t)*C + c
    #expect(x.offset([1, 0, 2]) == 14)
    #expect(x.reshaped([6, 4])[5, 3] == 7)
  }

  @Test func transposeSwapsRowsAndColumns() {
    let m = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
    #expect(m.transposed() == Tensor(shape: [3, 2], storage: [1, 4, 2, 5, 3, 6]))
  }

  @Test func splitMixIsTheStandardGenerator() {
    // Reference values of SplitMix64 (Steele, Lea, Flood 2014) seeded with 0.
    var rng = SplitMix64(seed: 0)
    #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
    #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
  }

  @Test func seededSequencesRepeat() {
    var a = SplitMix64(seed: 42)
    var b = SplitMix64(seed: 42)
    #expect(Tensor.randn([100], rng: &a) == Tensor.randn([100], rng: &b))
    var c = SplitMix64(seed: 43)
    #expect(Tensor.randn([100], rng: &c) != Tensor.randn([100], rng: &a))
  }

  @Test func skipJumpsOverExactlyThatManyDraws() {
    for draws in [0, 1, 2, 1000] {
      var (stepped, jumped) = (SplitMix64(seed: 9), SplitMix64(seed: 9))
      for _ in 0..<draws { _ = stepped.next() }
      jumped.skip(draws)
      #expect(jumped == stepped && jumped.next() == stepped.next(), "skip(\(draws))")
    }
    var (one, two) = (SplitMix64(seed: 9), SplitMix64(seed: 9))
    one.skip(1)
    two.skip(2)
    #expect(one != two)
  }

  @Test func normalSamplesHaveUnitVariance() {
    var rng = SplitMix64(seed: 1)
    let x = Tensor.randn([20000], rng: &rng)
    let mean = x.mean()
    let variance = x.storage.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(x.count)
    #expect(abs(mean) < 0.03)
    #expect(abs(variance - 1) < 0.05)
  }

  @Test func boundedIntegersStayInRange() {
    var rng = SplitMix64(seed: 3)
    var seen = Set<Int>()
    for _ in 0..<1000 {
      let v = rng.nextInt(below: 7)
      #expect((0..<7).contains(v))
      seen.insert(v)
    }
    #expect(seen.count == 7)
    var deck = Array(0..<10)
    rng.shuffle(&deck)
    #expect(deck.sorted() == Array(0..<10))
  }

  @Test func chunksCoverTheRangeExactly() {
    for (total, pieces) in [(10, 3), (7, 7), (100, 8), (3, 1)] {
      let ranges = (0..<pieces).map { Parallel.range(of: $0, in: pieces, total: total) }
      #expect(ranges.flatMap { Array($0) } == Array(0..<total))
    }
  }
}
