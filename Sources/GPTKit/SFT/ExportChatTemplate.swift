// Chapter 09 introduces this file: the chat format as a Jinja template, for Hugging Face.

/// The chat format in the form Hugging Face reads: a Jinja `chat_template` in
/// `tokenizer_config.json`, so that `tokenizer.apply_chat_template(messages)` gives the ids
/// the workbook's own rendering gives, id for id.
///
/// ```
/// <|endoftext|>                                          once: the document boundary (BOS)
/// <|user_start|> content <|user_end|>                    each user turn
/// <|assistant_start|> content <|assistant_end|>          each assistant turn
/// <|assistant_start|>                                    add_generation_prompt: your turn
/// ```
/// Hugging Face renders the text, then tokenizes it; the four turn tokens and `<|endoftext|>`
/// are added tokens there, cut out before the BPE runs, so each message's content is encoded
/// on its own, as the workbook does. (One difference: a message that *types* a turn token
/// gets the token in Hugging Face, the characters in the workbook.)
public enum HuggingFaceChatTemplate {
  public static let endOfText = ChatFormat.endOfText
  /// The turn tokens, in the order their ids are added after the vocabulary.
  public static let turnTokens = ChatFormat.turnTokens

  // ANCHOR: chat-template
  /// The template, one line (Jinja keeps every character outside its `{% %}` and `{{ }}`).
  public static let jinja =
    "{{ '<|endoftext|>' }}"
    + "{% for message in messages %}"
    + "{% if message['role'] == 'user' %}{{ '<|user_start|>' + message['content'] + '<|user_end|>' }}"
    + "{% elif message['role'] == 'assistant' %}"
    + "{{ '<|assistant_start|>' + message['content'] + '<|assistant_end|>' }}"
    + "{% else %}{{ raise_exception('the chat format has user and assistant turns only') }}{% endif %}"
    + "{% endfor %}"
    + "{% if add_generation_prompt %}{{ '<|assistant_start|>' }}{% endif %}"
  // ANCHOR_END: chat-template

  /// Whether `tokenizer` has the chat tokens, so that its Hugging Face files get the template.
  public static func fits(_ tokenizer: BPETokenizer) -> Bool {
    ([endOfText] + turnTokens).allSatisfy { tokenizer.specialTokens[$0] != nil }
  }
}
