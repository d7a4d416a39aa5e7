// The reference solutions as `--mine` pieces: `WORKBOOK_MINE=reference swift run ch06-training
// --mine` runs them, and the tests use it to show that right pieces change no number.

import Exercises
import GPTKit

extension Pieces {
  /// Every piece, from the reference solutions.
  public static var reference: Pieces {
    var pieces = Pieces()
    pieces.causalMask = Chapter04.causalMask
    pieces.singleHeadAttention = Chapter04.singleHeadAttention
    pieces.keys = { Chapter04.keys(of: $0, head: $1, heads: $2) }
    pieces.layerNormForward = Chapter05.layerNormForward
    pieces.layerNormBackward = Chapter05.layerNormBackward
    pieces.adamWUpdate = Chapter06.adamWUpdate
    pieces.learningRate = Chapter06.learningRate
    pieces.embeddingCosine = Chapter06.embeddingCosine
    pieces.temperatureSoftmax = Chapter07.temperatureSoftmax
    pieces.topP = Chapter07.topP
    return pieces
  }
}
