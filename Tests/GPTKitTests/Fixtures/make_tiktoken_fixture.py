#!/usr/bin/env python3
"""Regenerates tiktoken_cases.json: texts and the ids real tiktoken gives them.

    pip install tiktoken==0.14.0 && python3 corpora/fetch_tiktoken.py
    python3 Tests/GPTKitTests/Fixtures/make_tiktoken_fixture.py

Uses tiktoken's own (Rust) encoder with the rank files in corpora/tiktoken/, so no network
access to OpenAI is needed. The Swift tests encode every text with our BPETokenizer and must
produce exactly these ids.

It also loads shakespeare-bpe512.tiktoken (+ .json), the BPE-512 that our Swift trainer
writes for corpora/shakespeare.txt (copy it from runs/tokenizers/ after running
ch01-tokenization), into tiktoken, and records tiktoken's ids for it: the Swift tests retrain
it byte for byte and check that Python reads what Swift writes.
"""
import json, os, random, tiktoken
from tiktoken.load import load_tiktoken_bpe
from tiktoken_ext import openai_public

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

def encoding(name):
    spec = getattr(openai_public, name)  # pattern and special tokens from tiktoken itself...
    path = os.path.join(ROOT, "corpora", "tiktoken", f"{name}.tiktoken")
    original = tiktoken.load.load_tiktoken_bpe
    try:  # ...with the rank file read from disk instead of downloaded
        openai_public.load_tiktoken_bpe = lambda *a, **k: load_tiktoken_bpe(path)
        params = spec()
    finally:
        openai_public.load_tiktoken_bpe = original
    return tiktoken.Encoding(**params)

HAND_PICKED = [
    "Hello, world! This is a test of the tokenizer.",
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n",
    "def add(a, b):\n    return a + b  # sum\n\nprint(add(2, 3))\n",
    "for (int i = 0; i < n; i++) { x[i] = y[i] * 2.5f; }",
    "1234567890 3.14159 1,000,000 2024-11-21 0x1F 007",
    "   leading spaces, trailing spaces   ",
    "tabs\tand\t\tmore\ttabs\n\n\n\nnew lines\r\nCRLF line\r\nand \r\n \r\n mixed",
    "  \n  \n",
    "café naïve résumé façade ÉCOLE",
    "cafe\u0301 nai\u0308ve e\u0301\u0301 \u0301start",
    "日本語のテキスト、中文文本，한국어 텍스트",
    "emoji 😀👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 ❤️",
    "I'm you're he's we've they'll she'd IT'S WE'RE Don'T 'tis ſ'ſ o'clock",
    "HTTPServer camelCaseWord XMLHttpRequest iPhone McDonald's ÀÉÎÕÜ",
    "Some text<|endoftext|>More text",
    "path/to/file.txt //comment /*block*/ https://example.com/a/b?c=d",
    "\u00a0non-breaking\u00a0spaces\u3000ideographic\u2003em\u2028line sep",
    "Ωmega ∑ ∫ √2 ≈ 1.414 ≠ π — “quotes” ‘single’ …",
    "",
    " ",
    "\n",
    "a",
    "!!!???...,,,;;;",
    "!!!\n\n???/\n/",
    "Ⅻ Ⅷ ½ ² ³ ٣٤٥ १२३",
    "ǅungla ǈudevit Ⅰ ʰʲ ʼn",
]

# Special tokens next to scalars that Swift's `Character` would glue onto their last `>`:
# combining marks, variation selectors, skin-tone modifiers, a zero-width joiner.
SPECIAL_TEXTS = [
    "<|endoftext|>\u0301",
    "a<|endoftext|>\u0308b",
    "<|endoftext|>\ufe0f<|endoftext|>",
    "<|endoftext|>\U0001F3FD and more",
    "x<|endoftext|>\u200d\U0001F469",
    "<|endofprompt|>\u0301 then <|fim_prefix|>code<|fim_suffix|>\u0327<|fim_middle|>",
    "<|endoftext|><|endoftext|>",
    "<|endoftext|",
    "e\u0301<|endoftext|>",
]

def random_texts(seed, count):
    rng = random.Random(seed)
    alphabet = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") +
                list(" \t\n\r'\".,;:!?-_/()[]{}<>|@#$%^&*+=~`") + ["  ", "\r\n", "'s", "'LL", " 's"] +
                list("éÉüßçñøåœæ") + ["e\u0301", "\u0301", "\u0308"] + list("日本語中文한국") +
                ["😀", "👍🏽", "🇫🇷", "\u00a0", "\u3000", "ſ", "ǅ", "ʰ", "½", "٣", "Ⅻ"])
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(count)]

def main():
    corpus = open(os.path.join(ROOT, "corpora", "shakespeare.txt"), encoding="utf-8").read()
    texts = HAND_PICKED + random_texts(2024, 300) + [corpus[:20000]]
    cases = {}
    for name in ("cl100k_base", "o200k_base"):
        enc = encoding(name)
        cases[name] = [{"text": t, "ids": enc.encode(t, allowed_special={"<|endoftext|>"})} for t in texts]
    # Every special token allowed (tiktoken's allowed_special="all"), and the table itself.
    special = {}
    for name in ("cl100k_base", "o200k_base"):
        enc = encoding(name)
        special[name] = {"tokens": enc._special_tokens,
                         "cases": [{"text": t, "ids": enc.encode(t, allowed_special="all")} for t in SPECIAL_TEXTS]}
    here = os.path.dirname(os.path.abspath(__file__))
    trained = os.path.join(here, "shakespeare-bpe512.tiktoken")
    side = json.load(open(trained.replace(".tiktoken", ".json"), encoding="utf-8"))
    ours = tiktoken.Encoding("shakespeare-bpe512", pat_str=side["pat_str"],
                             mergeable_ranks=load_tiktoken_bpe(trained), special_tokens=side["special_tokens"])
    cases["shakespeare-bpe512"] = [{"text": t, "ids": ours.encode(t, allowed_special={"<|endoftext|>"})} for t in texts]
    # The pieces each split pattern cuts, from the `regex` module (same semantics as tiktoken's
    # fancy-regex for these patterns), including GPT-2's, whose rank file we do not fetch.
    import regex
    pats = {"gpt2": openai_public.r50k_pat_str, "cl100k": encoding("cl100k_base")._pat_str,
            "o200k": encoding("o200k_base")._pat_str}
    pieces = {name: [regex.findall(pat, t) for t in texts] for name, pat in pats.items()}
    out = {"tiktoken_version": tiktoken.__version__, "cases": cases, "special": special, "texts": texts, "pieces": pieces}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiktoken_cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(texts)} texts x 3 encodings")

if __name__ == "__main__":
    main()
