#!/usr/bin/env python3
"""Regenerates Fixtures/gpt2/: two tiny random GPT-2 folders as transformers saves them.

    pip install torch transformers
    python3 Tests/GPTKitTests/Fixtures/make_gpt2_fixture.py

They are Tests/Interop/hf_models.py's cases at a size worth committing (about 100 KB each), so
`swift test` covers the Hugging Face loader with no Python: expected.json in each holds what
transformers computes (token ids, the prompt's logits, 50 greedy tokens).
- bf16-tied-tokenizer-json: bfloat16 weights named as GPT2LMHeadModel names them
  (`transformer.`), the output layer tied to wte, the tokenizer as tokenizer.json;
- f16-untied-vocab-merges: float16 weights named without `transformer.`, the old
  `attn.bias`/`attn.masked_bias` buffers, an untied lm_head, and vocab.json + merges.txt.
"""
import os, shutil, sys
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Interop"))
import hf_models  # noqa: E402

CASES = {
    "bf16-tied-tokenizer-json": (400, 64, 2, 2, 16, torch.bfloat16, {}),
    "f16-untied-vocab-merges": (350, 64, 1, 2, 16, torch.float16, {"untied": True, "bare": True, "vocab_merges": True}),
}

if __name__ == "__main__":
    out = os.path.join(HERE, "gpt2")
    shutil.rmtree(out, ignore_errors=True)
    for seed, (name, (V, T, L, NH, C, dtype, options)) in enumerate(CASES.items()):
        hf_models.write_case(os.path.join(out, name), V, T, L, NH, C, dtype, options, seed=10 + seed)
    print(f"wrote {out}: {', '.join(CASES)}")
