import Foundation
import Testing

@testable import GPTKit

let shakespeareText = try! Corpus.load(repositoryRoot.appendingPathComponent(Corpus.shakespeare).path)
let shakespeareTasks = ShakespeareTasks(text: shakespeareText)

@Suite("09 Shakespeare speeches")
struct ShakespeareSpeechTests {
  @Test func parsesSpeakerBlocksAndSkipsTheRest() {
    let text = "Menenius:\nWhat work's, my countrymen,\nin hand?\n\nScene I. A street.\n\nAll:\nSpeak.\n\nNobody:\n"
    let speeches = Speech.parse(text)
    #expect(speeches.map(\.speaker) == ["Menenius", "All"])
    #expect(speeches[0].lines == ["What work's, my countrymen,", "in hand?"])
    #expect(speeches[1].index == 1 && speeches[1].play == nil)  // not the bundled corpus: no plays
  }

  @Test func playsRunFromOneOpeningToTheNext() {
    let speeches = shakespeareTasks.speeches
    #expect(speeches.count == 5893)
    #expect(speeches.allSatisfy { $0.play != nil })
    let coriolanus = speeches.filter { $0.play == "Coriolanus" }
    #expect(coriolanus.first?.lines.first == "Before we proceed any further, hear me speak.")
    #expect(coriolanus.last?.speaker == "Aufidius")  // "My rage is gone;": the end of Coriolanus
    let tempest = speeches.filter { $0.play == "The Tempest" }
    #expect(tempest.first?.speaker == "Master" && tempest.first?.lines == ["Boatswain!"])
    #expect(speeches.filter { $0.play == "Measure for Measure" }.first?.lines == ["Escalus,--"])
    #expect(
      speeches.filter { $0.play == "The Winter's Tale" }.last?.lines.last == "We were dissever'd: hastily lead away!")
  }
}

@Suite("09 Shakespeare tasks")
struct ShakespeareTaskTests {
  @Test func sameSeedSameConversations() {
    let again = ShakespeareTasks(text: shakespeareText)
    #expect(again.train == shakespeareTasks.train && again.heldOut == shakespeareTasks.heldOut)
    var options = ShakespeareTasks.Options()
    options.seed = 7
    #expect(
      ShakespeareTasks(text: shakespeareText, options: options).heldOutSpeeches != shakespeareTasks.heldOutSpeeches)
  }

  @Test func heldOutSpeechesAreNeverTrainedOn() {
    let tasks = shakespeareTasks
    #expect(tasks.heldOutSpeeches.count == 589)
    #expect(tasks.heldOutRepeatsRemoved == 6)
    for example in tasks.train {
      if let index = example.speechIndex { #expect(!tasks.heldOutSpeeches.contains(index)) }
    }
    for example in tasks.heldOut {
      if let index = example.speechIndex { #expect(tasks.heldOutSpeeches.contains(index)) }
    }
    let trainedQuestions = Set(tasks.train.map(\.prompt))
    #expect(tasks.heldOut.allSatisfy { !trainedQuestions.contains($0.prompt) })  // identity is asked differently
  }

  @Test func familyCounts() {
    let counts = shakespeareTasks.familyNames.map { name in
      let (train, heldOut) = shakespeareTasks.examples(name)
      return "\(name) \(train.count)/\(heldOut.count)"
    }
    #expect(
      counts == [
        "speaker 1177/126", "play 5304/200", "lines 1404/172", "continue 2994/200", "speaker+play 1177/126",
        "identity 140/3",
      ])
  }

  @Test func answerSetsAreSmallAndBaselinesHonest() {
    let (train, _) = shakespeareTasks.examples("speaker")
    #expect(Set(train.map(\.answer)).count == 8)
    // Romeo and Juliet's source prints speakers as `Sampson.`: it has no `Name:` speeches.
    #expect(Set(shakespeareTasks.examples("play").train.map(\.answer)).count == 7)
    #expect(shakespeareTasks.baseline("speaker").answer == "King Richard")
    #expect(shakespeareTasks.baseline("lines").heldOutShare == 0.25)  // four lengths, balanced
    #expect(shakespeareTasks.baselines["continue"] == nil)  // free text is not scored
  }

  @Test func summaryHasOneLinePerFamily() {
    let lines = shakespeareTasks.summary(format: byteChat)
    #expect(lines.count == 6)
    #expect(lines[0].hasPrefix("speaker: 1177 train, 126 held out | majority 16.7% (King Richard) | "))
    #expect(lines[3].hasPrefix("continue: 2994 train, 200 held out | "))
  }

  @Test func aLearnerCanAddAFamily() {
    struct FirstWord: TaskFamily {
      let name = "first word"
      let isScored = true
      func examples(from speeches: [Speech], heldOut: Bool) -> [TaskExample] {
        speeches.filter { $0.speaker == "Prospero" }.map { speech in
          example("First word of: \(speech.lines[0])", String(speech.lines[0].split(separator: " ")[0]), speech: speech)
        }
      }
    }
    let tasks = ShakespeareTasks(text: shakespeareText, families: [FirstWord()])
    #expect(tasks.familyNames == ["first word"])
    #expect(tasks.train.count + tasks.heldOut.count == 114)
    #expect(tasks.baselines["first word"] != nil)
  }

  @Test func multiTurnExampleRendersTwoMaskedAnswers() {
    let example = shakespeareTasks.examples("speaker+play").train[0]
    #expect(example.conversation.messages.map(\.role) == [.user, .assistant, .user, .assistant])
    let rendered = byteChat.render(example.conversation)
    #expect(
      rendered.maskedInCount == example.conversation.messages[1].content.utf8.count + example.answer.utf8.count + 2)
  }
}
