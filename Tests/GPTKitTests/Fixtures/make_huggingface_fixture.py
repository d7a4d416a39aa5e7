#!/usr/bin/env python3
"""Regenerates huggingface_cases.json: what Hugging Face does with the tokenizers we write.

    pip install tokenizers
    UPDATE_FIXTURES=1 swift test --filter HuggingFace     # writes the two .hf.json files
    python3 Tests/GPTKitTests/Fixtures/make_huggingface_fixture.py

shakespeare-bpe512.hf.json and shakespeare-chars.hf.json are the `tokenizer.json` files a
checkpoint carries (`HuggingFaceTokenizer.files`), for the committed BPE-512 and for the
characters of corpora/shakespeare.txt. This loads them with Hugging Face's own `tokenizers`
library (Rust), encodes every text of tiktoken_cases.json, and records the ids (null where it
refuses a text) and whether decoding gives the text back. The Swift tests then require our
tokenizers to give exactly these ids.
"""
import json, os
import tokenizers
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))

def encode_all(path, texts):
    tokenizer = Tokenizer.from_file(os.path.join(HERE, path))
    ids = []
    for text in texts:
        try:
            ids.append(tokenizer.encode(text, add_special_tokens=False).ids)
        except Exception:  # a character outside the vocabulary
            ids.append(None)
    return tokenizer, ids

def main():
    texts = json.load(open(os.path.join(HERE, "tiktoken_cases.json"), encoding="utf-8"))["texts"]
    bpe, bpe_ids = encode_all("shakespeare-bpe512.hf.json", texts)
    _, char_ids = encode_all("shakespeare-chars.hf.json", texts)
    round_trips = [bpe.decode(ids, skip_special_tokens=False) == text for ids, text in zip(bpe_ids, texts)]
    out = {"tokenizers_version": tokenizers.__version__, "bpe": bpe_ids, "chars": char_ids,
           "bpeRoundTrips": round_trips}
    path = os.path.join(HERE, "huggingface_cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(texts)} texts, {sum(i is not None for i in char_ids)} of them in the character vocabulary")

if __name__ == "__main__":
    main()
