import Foundation
import Testing

@testable import GPTKit

@Suite("09 conversation files")
struct ConversationFileTests {
  /// Writes `text` to a fresh temporary file and returns its path.
  func file(_ text: String) -> String { file(Data(text.utf8)) }

  func file(_ data: Data) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sft-\(UUID().uuidString).jsonl").path
    #expect(FileManager.default.createFile(atPath: path, contents: data), "could not write \(path)")
    return path
  }

  let good = #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Well met."}]}"#

  @Test func readsConversationsAndSkipsBlankLines() throws {
    let twoTurns =
      #"{"id": 7, "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, "#
      + #"{"role": "user", "content": "c"}, {"role": "assistant", "content": "d·"}]}"#
    let conversations = try ConversationFile.load(file(good + "\n\n" + twoTurns + "\n"))
    #expect(conversations.count == 2)
    #expect(conversations[0] == Conversation([Message(.user, "Hi"), Message(.assistant, "Well met.")]))
    #expect(conversations[1].messages.map(\.content) == ["a", "b", "c", "d·"])
    #expect(try ConversationFile.load(file(ConversationFile.line(conversations[1]))) == [conversations[1]])
  }

  /// The error for a file whose second line is `bad`.
  func error(_ bad: String) -> ConversationFileError? {
    let path = file(good + "\n" + bad + "\n")
    do {
      _ = try ConversationFile.load(path)
      return nil
    } catch { return error.withPath("F") }
  }

  @Test func eachBadLineGetsItsOwnError() {
    #expect(error(#"{"messages": [{"role": "user""#) == .invalidJSON("F", line: 2))
    #expect(error(#"["Hi", "Well met."]"#) == .notAConversation("F", line: 2))
    #expect(error(#"{"messages": [{"role": "user", "content": 3}]}"#) == .notAConversation("F", line: 2))
    #expect(
      error(#"{"messages": [{"role": "system", "content": "Be brief."}]}"#)
        == .unknownRole("F", line: 2, role: "system"))
    #expect(error(#"{"messages": []}"#) == .emptyConversation("F", line: 2))
    #expect(error(#"{"messages": [{"role": "user", "content": "Hi"}]}"#) == .noAssistantTurn("F", line: 2))
  }

  @Test func invalidUTF8MissingAndEmptyFiles() throws {
    var bytes = Data((good + "\n").utf8)
    bytes += Data([0x7B, 0xFF, 0x7D, 0x0A])
    let invalid = file(bytes)
    #expect(throws: ConversationFileError.invalidUTF8(invalid, line: 2)) { try ConversationFile.load(invalid) }
    #expect(throws: ConversationFileError.missingFile("/nonexistent/chat.jsonl")) {
      try ConversationFile.load("/nonexistent/chat.jsonl")
    }
    let empty = file("\n  \n")
    #expect(throws: ConversationFileError.noConversations(empty)) { try ConversationFile.load(empty) }
    let folder = FileManager.default.temporaryDirectory.path
    #expect(throws: ConversationFileError.folder(folder)) { try ConversationFile.load(folder) }
    #expect(throws: ConversationFileError.notAFile("/dev/null")) { try ConversationFile.load("/dev/null") }
  }

  @Test func errorsAreOneLineNamingFileLineAndFix() {
    let message = ConversationFileError.unknownRole("mine.jsonl", line: 12, role: "system").description
    #expect(message == #"mine.jsonl line 12: unknown role "system": use "user" or "assistant""#)
    #expect(!ConversationFileError.noAssistantTurn("a", line: 1).description.contains("\n"))
  }
}

extension ConversationFileError {
  /// The same error with the (random temporary) path replaced, so tests can compare it.
  func withPath(_ path: String) -> ConversationFileError {
    switch self {
    case .missingFile: .missingFile(path)
    case .folder: .folder(path)
    case .notAFile: .notAFile(path)
    case .noConversations: .noConversations(path)
    case .invalidUTF8(_, let line): .invalidUTF8(path, line: line)
    case .invalidJSON(_, let line): .invalidJSON(path, line: line)
    case .notAConversation(_, let line): .notAConversation(path, line: line)
    case .unknownRole(_, let line, let role): .unknownRole(path, line: line, role: role)
    case .emptyConversation(_, let line): .emptyConversation(path, line: line)
    case .noAssistantTurn(_, let line): .noAssistantTurn(path, line: line)
    }
  }
}
