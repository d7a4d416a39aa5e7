#!/usr/bin/env python3
"""Small random GPT-2s as Hugging Face saves them, for the workbook to load.

    pip install torch transformers
    python3 Tests/Interop/hf_models.py OUT         # one folder per case, and OUT/cases.json

Each case is a folder that `GPT2LMHeadModel.save_pretrained` wrote (or, for the variants,
rewrote the way other tools do): config.json as transformers writes it, model.safetensors,
and a byte-level BPE tokenizer trained here on Shakespeare with the `tokenizers` library.
Every weight is random, biases and LayerNorm gains and shifts included, and larger than a
fresh model's, so the logits spread and greedy decoding has clear winners. Beside it,
expected.json holds what transformers computes from that folder: the tokenizer's ids for a
few texts, the logits of a prompt (float32, from the weights as stored), and 50 greedy
tokens from `generate` with its cache. The Swift test (HuggingFaceLoadTests) loads each
folder and requires the same ids, logits within 1e-4 and the same 50 tokens.

The variants cover what the loader must handle: several shapes; float16 and bfloat16 weights;
names without GPT2LMHeadModel's `transformer.` prefix, with the old `attn.bias` and
`attn.masked_bias` buffers; an untied `lm_head`; the tokenizer as tokenizer.json or as GPT-2's
vocab.json + merges.txt.
"""
import json, os, sys
import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEXTS = ["First Citizen:\nBefore we proceed any further, hear me speak.", "  What's   this?\n\n",
         "ünïcödé, 123 4567"]
PROMPT = "ROMEO:\nBut soft"

# name: (vocabulary, context, layers, heads, channels, dtype, options)
CASES = {
    "f32-tied": (640, 96, 2, 4, 32, torch.float32, {}),
    "f32-deep": (500, 80, 3, 2, 48, torch.float32, {"vocab_merges": True}),
    "f16-untied": (450, 64, 2, 2, 32, torch.float16, {"untied": True}),
    "bf16-bare": (700, 72, 1, 4, 64, torch.bfloat16, {"bare": True}),
}


def train_tokenizer(vocabulary):
    """A GPT-2 style byte-level BPE of `vocabulary` ids, `<|endoftext|>` the last, as GPT-2's is."""
    text = open(os.path.join(ROOT, "corpora", "shakespeare.txt"), encoding="utf-8").read()[:200_000]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocabulary - 1, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator([text], trainer)
    tokenizer.add_special_tokens(["<|endoftext|>"])
    assert tokenizer.get_vocab_size() == vocabulary, tokenizer.get_vocab_size()
    return tokenizer


def random_model(V, T, L, NH, C, untied, seed):
    config = GPT2Config(vocab_size=V, n_positions=T, n_layer=L, n_head=NH, n_embd=C,
                        tie_word_embeddings=not untied, bos_token_id=V - 1, eos_token_id=V - 1)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name.endswith(".bias") or ".ln_" in name:
                p.copy_(0.1 * torch.randn_like(p))
            else:
                p.copy_((0.5 if "wte" in name or "lm_head" in name else 0.15) * torch.randn_like(p))
    return model


def write_case(folder, V, T, L, NH, C, dtype, options, seed=0):
    os.makedirs(folder, exist_ok=True)
    tokenizer = train_tokenizer(V)
    model = random_model(V, T, L, NH, C, options.get("untied", False), seed)
    model.to(dtype).save_pretrained(folder, safe_serialization=True)
    path = os.path.join(folder, "model.safetensors")
    if options.get("bare"):  # GPT2Model's names, and the mask buffers of old checkpoints
        tensors = load_file(path)
        tensors = {k.removeprefix("transformer."): v for k, v in tensors.items()}
        for l in range(L):
            tensors[f"h.{l}.attn.bias"] = torch.tril(torch.ones(T, T, dtype=dtype)).view(1, 1, T, T)
            tensors[f"h.{l}.attn.masked_bias"] = torch.tensor(-1e4, dtype=dtype)
        save_file(tensors, path, metadata={"format": "pt"})
    if options.get("vocab_merges"):
        tokenizer.model.save(folder)  # vocab.json and merges.txt, GPT-2's original files
    else:
        fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|endoftext|>")
        fast.save_pretrained(folder)
    reference = GPT2LMHeadModel.from_pretrained(folder, torch_dtype=torch.float32).eval()  # the weights as stored
    ids = [tokenizer.encode(t).ids for t in TEXTS]
    prompt = tokenizer.encode(PROMPT).ids
    with torch.no_grad():
        logits = reference(torch.tensor([prompt])).logits[0]
        greedy = reference.generate(torch.tensor([prompt]), max_new_tokens=50, min_new_tokens=50, do_sample=False,
                                    use_cache=True, pad_token_id=V - 1, eos_token_id=None)[0, len(prompt):]
    expected = {"texts": TEXTS, "ids": ids, "prompt": PROMPT, "prompt_ids": prompt,
                "logits": [round(x, 6) for x in logits.flatten().tolist()], "greedy": greedy.tolist(),
                "dtype": str(dtype).removeprefix("torch."), "untied": options.get("untied", False)}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
    return expected


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "runs/hf-models"
    names = []
    for seed, (name, (V, T, L, NH, C, dtype, options)) in enumerate(CASES.items()):
        write_case(os.path.join(out, name), V, T, L, NH, C, dtype, options, seed=seed)
        names.append(name)
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(names, f)
    print(f"wrote {len(names)} GPT-2 folders into {out}: {', '.join(names)}")


if __name__ == "__main__":
    main()
