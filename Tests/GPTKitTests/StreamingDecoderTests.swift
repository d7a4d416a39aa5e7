import Testing

@testable import GPTKit

@Suite("07 streaming decoder")
struct StreamingDecoderTests {
  /// Feeds `bytes` cut at `cuts` and returns every piece of text printed, then the flush.
  func stream(_ bytes: [UInt8], cuts: [Int]) -> [String] {
    var decoder = StreamingDecoder()
    var pieces: [String] = []
    var start = 0
    for cut in cuts + [bytes.count] {
      pieces.append(decoder.append(bytes[start..<cut]))
      start = cut
    }
    pieces.append(decoder.finish())
    return pieces
  }

  /// Every way to cut `n` bytes into pieces: all subsets of the n - 1 inner boundaries.
  func allCuts(_ n: Int) -> [[Int]] {
    (0..<(1 << (n - 1))).map { bits in (1..<n).filter { bits & (1 << ($0 - 1)) != 0 } }
  }

  @Test(arguments: ["·", "€", "𝄞"])
  func aCharacterSplitInEveryWay(character: String) {
    let bytes = Array(("a" + character + "b").utf8)
    for cuts in allCuts(bytes.count) {
      let pieces = stream(bytes, cuts: cuts)
      #expect(pieces.joined() == "a\(character)b", "cuts \(cuts)")
      #expect(!pieces.joined().contains("\u{FFFD}"))
    }
  }

  @Test func nothingIsPrintedUntilTheCharacterIsWhole() {
    var decoder = StreamingDecoder()
    #expect(decoder.append([0xF0, 0x9D]) == "")
    #expect(decoder.append([0x84]) == "")
    #expect(decoder.pending == [0xF0, 0x9D, 0x84])
    #expect(decoder.append([0x9E, 0x21]) == "𝄞!")
  }

  @Test func invalidBytesBecomeReplacementCharactersOnceCertain() {
    var decoder = StreamingDecoder()
    #expect(decoder.append([0x61, 0x80]) == "a\u{FFFD}")  // a stray continuation byte
    #expect(decoder.append([0xC2]) == "")  // might still become a character...
    #expect(decoder.append([0x41]) == "\u{FFFD}A")  // ...but "A" is not a continuation
    #expect(decoder.append([0xFF, 0xC0, 0xAF]) == "\u{FFFD}\u{FFFD}\u{FFFD}")
    #expect(decoder.append([0xED, 0xA0, 0x80]) == "\u{FFFD}\u{FFFD}\u{FFFD}")  // a surrogate is not UTF-8
  }

  @Test func flushAtTheEnd() {
    var decoder = StreamingDecoder()
    #expect(decoder.append([0x68, 0xE2, 0x82]) == "h")
    #expect(decoder.finish() == "\u{FFFD}")
    #expect(decoder.finish() == "")
    #expect(decoder.append([0x69]) == "i")
  }

  @Test func agreesWithWholeTextDecodingOnRandomBytes() {
    var rng = SplitMix64(seed: 9)
    let alphabet: [UInt8] = [0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
    for _ in 0..<500 {
      let bytes = (0..<12).map { _ in alphabet[rng.nextInt(below: alphabet.count)] }
      let cuts = (1..<12).filter { _ in rng.nextInt(below: 3) == 0 }
      #expect(stream(bytes, cuts: cuts).joined() == String(decoding: bytes, as: UTF8.self), "\(bytes) \(cuts)")
    }
  }

  @Test func tokenBytesOfBothTokenizers() {
    let chars: TextTokenizer = CharTokenizer(corpus: "a·")
    #expect(chars.tokenBytes(1) == [0xC2, 0xB7])
    let bpe: TextTokenizer = BPETokenizer(ranks: (0..<256).map { [UInt8($0)] }, pattern: .gpt2)
    #expect(bpe.tokenBytes(0xC2) == [0xC2])
  }
}
