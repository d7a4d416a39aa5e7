#!/usr/bin/env python3
"""The workbook's benchmark models in PyTorch, to measure side by side on your own machine.

    pip install torch
    python3 Tests/Interop/torch_speed.py                 # configs A, B, C and generation
    python3 Tests/Interop/torch_speed.py --config A      # one config
    swift run -c release bench train generate --torch runs/torch_speed.jsonl

The models are the bench's (`Sources/bench/ModelSuite.swift`): GPT-2 blocks with biases,
learned positions, tanh GELU, a tied output layer, no dropout. A training step is forward,
backward, gradient clipping at 1.0 and AdamW (lr 1e-3, weight decay 0.1 on the blocks' weight
matrices only), as `bench train` times it. Generation is config B, batch 1, 255 new tokens,
greedy, with a cache of keys and values and by recomputing the prefix, as `bench generate`
times it, and once more with the cache and the whole model in bfloat16. Each figure is the
best of three timed rounds, fp32 unless noted, on `--threads` threads.

Every result is appended to the output file as one JSON line with the fields the bench reads:
kind ("train" or "generate"), config, vocab, tok_s_best, kv_cache, dtype (bfloat16 runs only),
peak_rss_mb (the process's peak resident memory so far: run one config per process to read
one config's) and how PyTorch ran. `bench train --torch-live` runs this script that way, one
config at a time, alternating with its own rounds.
On AMD processors MKL avoids AVX-512 unless it is told the CPU is Intel; run the script
under such a shim to measure "PyTorch at its best", and add --compile for torch.compile.
"""
import argparse, json, math, os, resource, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {  # name: (vocabulary, layers, heads, channels, context, batch)
    "A": (65, 4, 4, 128, 64, 12),
    "B": (65, 6, 6, 384, 256, 64),
    "C": (512, 6, 6, 384, 256, 32),
}


class Block(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.NH = NH
        self.ln_1, self.ln_2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.c_attn, self.c_proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.c_fc, self.c_fc_proj = nn.Linear(C, 4 * C), nn.Linear(4 * C, C)

    def forward(self, x, cache=None, start=0):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.NH, C // self.NH).transpose(1, 2) for t in (q, k, v))
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # new positions start.. attend to every cached one up to themselves
            keys, values = cache
            keys[:, :, start:start + T], values[:, :, start:start + T] = k, v
            k, v = keys[:, :, :start + T], values[:, :, :start + T]
            seen = torch.arange(start + T) <= torch.arange(start, start + T)[:, None]
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=seen)
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.c_fc_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, V, L, NH, C, T):
        super().__init__()
        self.T = T
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.h = nn.ModuleList(Block(C, NH) for _ in range(L))
        self.ln_f = nn.LayerNorm(C)
        for name, p in self.named_parameters():
            if name.endswith("weight") and p.dim() == 2:
                nn.init.normal_(p, std=0.02)
            elif name.endswith("bias") and "ln" not in name:
                nn.init.zeros_(p)

    def forward(self, idx, caches=None, start=0):
        x = self.wte(idx) + self.wpe(torch.arange(start, start + idx.shape[1]))
        for i, block in enumerate(self.h):
            x = block(x, None if caches is None else caches[i], start)
        return self.ln_f(x) @ self.wte.weight.T  # the tied output layer


def best_of_three(step, minimum=0.5):
    """Seconds per call: the best of three rounds of at least `minimum` seconds, after a warm-up."""
    step()
    best = math.inf
    for _ in range(3):
        calls, start = 0, time.perf_counter()
        while True:
            step()
            calls += 1
            if time.perf_counter() - start >= minimum:
                break
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def train(name, compile_model):
    V, L, NH, C, T, B = CONFIGS[name]
    torch.manual_seed(0)
    model = GPT(V, L, NH, C, T)
    decay = [p for n, p in model.named_parameters() if n.startswith("h.") and p.dim() == 2]
    rest = [p for n, p in model.named_parameters() if not (n.startswith("h.") and p.dim() == 2)]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=1e-3)
    forward = torch.compile(model) if compile_model else model
    x, y = torch.randint(V, (B, T)), torch.randint(V, (B, T))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(forward(x).view(-1, V), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    return B * T / best_of_three(step)


@torch.no_grad()
def generate(use_cache, dtype=torch.float32):
    V, L, NH, C, T, _ = CONFIGS["B"]
    torch.manual_seed(0)
    model = GPT(V, L, NH, C, T).eval().to(dtype)

    def run():
        tokens = torch.zeros(1, 1, dtype=torch.long)
        caches = [(torch.zeros(1, NH, T, C // NH, dtype=dtype), torch.zeros(1, NH, T, C // NH, dtype=dtype))
                  for _ in range(L)]
        for position in range(255):
            if use_cache:
                logits = model(tokens[:, -1:], caches, start=position)
            else:
                logits = model(tokens)
            tokens = torch.cat([tokens, logits[:, -1].argmax(-1, keepdim=True)], dim=1)

    return 255 / best_of_three(run, minimum=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=sorted(CONFIGS), action="append", help="default: all")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--compile", action="store_true", help="torch.compile the training model")
    parser.add_argument("--no-generate", action="store_true")
    parser.add_argument("--no-train", action="store_true")
    parser.add_argument("--out", default="runs/torch_speed.jsonl")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    how = f"torch {torch.__version__}, {args.threads} threads" + (", compile" if args.compile else "")
    if os.environ.get("LD_PRELOAD"):
        how += ", LD_PRELOAD " + os.path.basename(os.environ["LD_PRELOAD"])
    results = [
        {"kind": "train", "config": name, "vocab": CONFIGS[name][0], "tok_s_best": train(name, args.compile),
         "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1 << 20 if sys.platform == "darwin" else 1 << 10)}
        for name in ([] if args.no_train else args.config or sorted(CONFIGS))
    ]
    if not args.no_generate:
        results += [
            {"kind": "generate", "config": "B", "vocab": 65, "kv_cache": cache, "tok_s_best": generate(cache)}
            for cache in (True, False)
        ]
        # the whole model in bfloat16, PyTorch's usual way to halve the bytes read per token
        results.append({"kind": "generate", "config": "B", "vocab": 65, "kv_cache": True, "dtype": "bfloat16",
                        "tok_s_best": generate(True, torch.bfloat16)})
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "a") as out:
        for r in results:
            r["how"] = how
            out.write(json.dumps(r) + "\n")
            print(f"{r['kind']:8} config {r['config']} {'(KV cache) ' if r.get('kv_cache') else ''}"
                  f"{'(bfloat16) ' if r.get('dtype') == 'bfloat16' else ''}"
                  f"{r['tok_s_best']:,.0f} tok/s  [{how}]")
    print(f"appended to {args.out}: swift run -c release bench train generate --torch {args.out}")


if __name__ == "__main__":
    main()
