#!/usr/bin/env python3
"""Continue training a workbook checkpoint on several processes (or GPUs), then load it back.

    pip install torch transformers
    torchrun --nproc_per_node 2 Tests/Interop/ddp_continue.py --checkpoint runs/ch06/best \\
        --data corpora/shakespeare.txt --steps 200 --out runs/ddp
    swift run -c release ch07-sampling --checkpoint runs/ddp

The checkpoint is a Hugging Face GPT-2 folder (chapter 06 writes it so), so PyTorch loads it
with `GPT2LMHeadModel.from_pretrained` and its tokenizer with `AutoTokenizer`. Each process
draws its own batches of --batch windows of the model's context from the text; PyTorch's
DistributedDataParallel averages the gradients across processes after every backward, so all
copies take the same AdamW step (lr --lr, weight decay 0.1, clipping at 1.0): a global batch
of processes x --batch windows. The backend is NCCL on GPUs and gloo on CPUs, the same script.
Process 0 saves the result with `save_pretrained`, which the workbook loads again (chapter
07 samples from it, chapter 09 fine-tunes it), and writes check.json: a fixed batch and the
model's loss on it, for the round-trip test (Tests/GPTKitTests/DistributedTests.swift).
"""
import argparse, json, os
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from transformers import AutoTokenizer, GPT2LMHeadModel


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=8, help="windows per process per step")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
    torch.manual_seed(args.seed)  # the same starting point everywhere (the weights come from the file anyway)

    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint)
    model = GPT2LMHeadModel.from_pretrained(args.checkpoint).to(device).train()
    T = model.config.n_positions
    text = open(args.data, encoding="utf-8").read()
    tokens = torch.tensor(tokenizer(text)["input_ids"], dtype=torch.long)
    if len(tokens) < T + 2:
        raise SystemExit(f"error: {args.data} has {len(tokens)} tokens, fewer than one window of {T + 1}")
    ddp = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "wte" not in n and "wpe" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "wte" not in n and "wpe" not in n)]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": other, "weight_decay": 0.0}],
                                  lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    batches = torch.Generator().manual_seed(args.seed + rank)  # each process its own windows

    def batch(generator):
        starts = torch.randint(0, len(tokens) - T - 1, (args.batch,), generator=generator)
        x = torch.stack([tokens[s:s + T] for s in starts])  # (B, T)
        y = torch.stack([tokens[s + 1:s + T + 1] for s in starts])
        return x.to(device), y.to(device)

    def loss_of(module, x, y):
        logits = module(x).logits  # (B, T, V)
        return torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())

    for step in range(args.steps):
        x, y = batch(batches)
        loss = loss_of(ddp, x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # DDP averages the gradients over all processes here
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        if rank == 0 and (step % 10 == 0 or step == args.steps - 1):
            print(f"step {step + 1}/{args.steps} | train {mean.item() / world:.4f} | {world} processes", flush=True)

    # Every copy took the same steps: their weights agree (the test checks this line).
    checksum = torch.stack([p.detach().double().sum() for p in model.parameters()]).sum().reshape(1)
    copies = [torch.zeros_like(checksum) for _ in range(world)]
    dist.all_gather(copies, checksum)
    if rank == 0:
        print(f"weights agree across the {world} processes: {all(torch.equal(c, checksum) for c in copies)}")
        model.eval()
        model.save_pretrained(args.out)
        tokenizer.save_pretrained(args.out)
        x, y = batch(torch.Generator().manual_seed(0))
        x, y = x[:2], y[:2]
        with torch.no_grad():
            loss = loss_of(model, x, y).item()
        with open(os.path.join(args.out, "check.json"), "w") as f:
            json.dump({"x": x.flatten().tolist(), "y": y.flatten().tolist(), "B": 2, "T": T, "loss": loss}, f)
        print(f"saved {args.out}: a Hugging Face GPT-2 folder the workbook loads")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
