#!/usr/bin/env python3
"""GPT-2 124M in transformers, timed as `swift run -c release bench gpt2` times the workbook.

    pip install torch transformers
    python3 Tests/Interop/torch_gpt2_speed.py > runs/torch_gpt2.jsonl   # one JSON line per figure
    swift run -c release bench gpt2 --torch runs/torch_gpt2.jsonl          # side by side
    python3 Tests/Interop/torch_gpt2_speed.py --tokens 8                  # a quick look

The model is `GPT2LMHeadModel(GPT2Config())`: transformers' default config, GPT-2 small's
shapes (V 50257, T 1024, 12 layers, 12 heads, C 768), random weights. It is saved with
`save_pretrained` and loaded back with `from_pretrained` (timed), then: resident memory,
`generate` of --tokens greedy tokens with and without the cache, in float32 and bfloat16,
and one training step at B 4, T 64 (forward, backward, clipping at 1.0, AdamW), best of
--repeats. The same work as the bench's gpt2 suite, on --threads threads.
"""
import argparse, json, os, tempfile, time
import torch
from transformers import GPT2Config, GPT2LMHeadModel


def resident_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmRSS:"))


def best(repeats, body):
    body()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    how = f"torch {torch.__version__}, {args.threads} threads"

    def emit(case, value, unit, **extra):
        print(json.dumps({"suite": "gpt2", "case": case, "value": round(value, 4), "unit": unit, "how": how,
                          "rss_mb": resident_mb(), **extra}), flush=True)

    with tempfile.TemporaryDirectory() as folder:
        GPT2LMHeadModel(GPT2Config()).save_pretrained(folder)
        start = time.perf_counter()
        model = GPT2LMHeadModel.from_pretrained(folder).eval()
        emit("load 124M with from_pretrained", time.perf_counter() - start, "s")
    prompt = torch.tensor([[50256]])
    for dtype in (torch.float32, torch.bfloat16):
        m = model.to(dtype)
        for cache in (True, False):
            def run():
                with torch.no_grad():
                    m.generate(prompt, max_new_tokens=args.tokens, min_new_tokens=args.tokens, do_sample=False,
                               use_cache=cache, pad_token_id=50256)
            seconds = best(args.repeats, run)
            name = str(dtype)[6:]
            emit(f"generate {args.tokens} tokens, {'KV cache' if cache else 'no cache'}, {name}",
                 args.tokens / seconds, "tok/s", kind="gpt2", tok_s_best=args.tokens / seconds, config="gpt2",
                 key=f"gpt2 generate {'cache' if cache else 'recompute'} {name}")
    model = model.to(torch.float32).train()
    model.config.resid_pdrop = model.config.embd_pdrop = model.config.attn_pdrop = 0
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    x = torch.randint(0, 50257, (4, 64))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = model(x, labels=x).loss  # transformers shifts the labels by one itself
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    seconds = best(args.repeats, step)
    emit("one training step, B 4 T 64 (AdamW included)", seconds, "s", kind="gpt2", tok_s_best=256 / seconds,
         config="gpt2", key="gpt2 train")


if __name__ == "__main__":
    main()
