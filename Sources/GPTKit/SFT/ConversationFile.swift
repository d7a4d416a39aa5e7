// Chapter 09 introduces this file: reading a learner's own conversations from a JSONL file.

import Foundation

/// A problem with a conversations file, in one line naming the file, the line and the fix.
public enum ConversationFileError: Error, CustomStringConvertible, Equatable {
  case missingFile(String)
  case folder(String)
  case notAFile(String)
  case noConversations(String)
  case invalidUTF8(String, line: Int)
  case invalidJSON(String, line: Int)
  case notAConversation(String, line: Int)
  case unknownRole(String, line: Int, role: String)
  case emptyConversation(String, line: Int)
  case noAssistantTurn(String, line: Int)

  static let shape = #"{"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]}"#

  public var description: String {
    switch self {
    case .missingFile(let path): return "\(path) not found: pass the path of a .jsonl file, one conversation per line"
    case .folder(let path):
      return "\(path) is a folder: pass the path of a .jsonl file in it, one conversation per line"
    case .notAFile(let path):
      return "\(path) is not a regular file (a pipe or a device): save the conversations to a .jsonl file"
    case .noConversations(let path):
      return "\(path) has no conversations: write one per line, each like \(Self.shape)"
    case .invalidUTF8(let path, let line):
      return "\(path) line \(line): not valid UTF-8: save the file as UTF-8"
    case .invalidJSON(let path, let line):
      return "\(path) line \(line): not valid JSON: each line must be one whole JSON object, like \(Self.shape)"
    case .notAConversation(let path, let line):
      return "\(path) line \(line): not a conversation: write it as \(Self.shape)"
    case .unknownRole(let path, let line, let role):
      return "\(path) line \(line): unknown role \"\(role)\": use \"user\" or \"assistant\""
    case .emptyConversation(let path, let line):
      return "\(path) line \(line): the conversation has no messages: add a user and an assistant message"
    case .noAssistantTurn(let path, let line):
      return
        "\(path) line \(line): no assistant message, so nothing to learn: "
        + #"add {"role": "assistant", "content": "..."}"#
    }
  }
}

/// Conversations a learner writes, in JSON Lines: one conversation per line, as an object with
/// `messages`, each message a `role` (`"user"` or `"assistant"`) and its `content`:
///
/// ```
/// {"messages": [{"role": "user", "content": "Who are you?"}, {"role": "assistant", "content": "A small GPT."}]}
/// {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Well met."},
///               {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Farewell."}]}
/// ```
///
/// (The second conversation is one line in the file; it is wrapped here to fit.) Blank lines
/// are skipped. Every conversation needs at least one assistant message: the loss is computed
/// only on what the assistant says, so a conversation without one teaches nothing. Other keys
/// are ignored, so files written for other tools (which often carry an `id`) load too.
public enum ConversationFile {
  /// Every conversation in the file at `path`, in file order.
  public static func load(_ path: String) throws(ConversationFileError) -> [Conversation] {
    switch FileKind(path) {
    case .regular: break
    case .missing: throw .missingFile(path)
    case .folder: throw .folder(path)
    case .other: throw .notAFile(path)  // a pipe would block, waiting for a writer
    }
    guard let data = FileManager.default.contents(atPath: path) else { throw .missingFile(path) }
    var conversations: [Conversation] = []
    for (i, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
      if line.allSatisfy({ [0x20, 0x09, 0x0D].contains($0) }) { continue }
      conversations.append(try parse(Data(line), path: path, line: i + 1))
    }
    if conversations.isEmpty { throw .noConversations(path) }
    return conversations
  }

  /// One line of the file: `line` is its number from 1, for the error.
  public static func parse(_ data: Data, path: String, line: Int) throws(ConversationFileError) -> Conversation {
    guard Corpus.firstInvalidUTF8(data) == nil else { throw .invalidUTF8(path, line: line) }
    guard let object = try? JSONSerialization.jsonObject(with: data) else { throw .invalidJSON(path, line: line) }
    guard let top = object as? [String: Any], let list = top["messages"] as? [Any] else {
      throw .notAConversation(path, line: line)
    }
    var messages: [Message] = []
    for item in list {
      guard let fields = item as? [String: Any], let roleName = fields["role"] as? String,
        let content = fields["content"] as? String
      else { throw .notAConversation(path, line: line) }
      guard let role = Role(rawValue: roleName) else { throw .unknownRole(path, line: line, role: roleName) }
      messages.append(Message(role, content))
    }
    if messages.isEmpty { throw .emptyConversation(path, line: line) }
    if !messages.contains(where: { $0.role == .assistant }) { throw .noAssistantTurn(path, line: line) }
    return Conversation(messages)
  }

  /// The JSONL line of a conversation (the format `load` reads), keys in a fixed order.
  public static func line(_ conversation: Conversation) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(conversation), as: UTF8.self)  // strings always encode
  }
}
