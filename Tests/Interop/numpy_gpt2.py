#!/usr/bin/env python3
"""An independent GPT-2 forward pass in NumPy, reading a workbook checkpoint.

    pip install numpy safetensors
    python3 Tests/Interop/numpy_gpt2.py runs/ch06/best 19 123 7 300

Reads model.safetensors and config.json exactly as Hugging Face's GPT-2 would (names like
transformer.h.0.attn.c_attn.weight, Conv1D weights stored (in, out), the output layer tied to
wte) and prints the logits of the last position and the most likely next token. Comparing them
with the Swift model's shows the checkpoint means the same thing outside this workbook (on the
default chapter 06 run they agree to about 1e-5).
"""
import json, sys
import numpy as np
from safetensors.numpy import load_file

def forward(folder, tokens):
    w = load_file(f"{folder}/model.safetensors")
    cfg = json.load(open(f"{folder}/config.json"))
    C, L, NH = cfg["n_embd"], cfg["n_layer"], cfg["n_head"]
    T, hs = len(tokens), C // NH
    def ln(x, g, b):
        m = x.mean(-1, keepdims=True)
        return (x - m) / np.sqrt(((x - m) ** 2).mean(-1, keepdims=True) + 1e-5) * g + b
    def gelu(x):
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    x = w["transformer.wte.weight"][tokens] + w["transformer.wpe.weight"][:T]
    for l in range(L):
        p = f"transformer.h.{l}."
        qkv = ln(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"]) @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (a.reshape(T, NH, hs).transpose(1, 0, 2) for a in np.split(qkv, 3, axis=-1))
        att = np.where(np.tril(np.ones((T, T))) == 1, q @ k.transpose(0, 2, 1) / np.sqrt(hs), -np.inf)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        x = x + (att @ v).transpose(1, 0, 2).reshape(T, C) @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = ln(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        x = x + gelu(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]) @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    return ln(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"]) @ w["transformer.wte.weight"].T

if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: numpy_gpt2.py CHECKPOINT_FOLDER TOKEN_ID [TOKEN_ID ...]")
    logits = forward(sys.argv[1], np.array([int(t) for t in sys.argv[2:]]))
    print("last position's logits:", " ".join(f"{v:.5f}" for v in logits[-1]))
    print("most likely next token:", int(logits[-1].argmax()))
