#!/usr/bin/env python3
"""A workbook checkpoint in Hugging Face transformers: model and tokenizer, as any GPT-2.

    pip install torch transformers
    python3 Tests/Interop/hf_gpt2.py runs/ch06/best

Loads the folder with `AutoTokenizer.from_pretrained` and `GPT2LMHeadModel.from_pretrained`,
nothing else: no code from this workbook. Then it
1. encodes the prompt with Hugging Face's tokenizer and decodes it back;
2. compares the model's logits with numpy_gpt2.py, an independent forward pass;
3. continues the prompt greedily. Chapter 06 ends with the same greedy continuation from the
   Swift model, so the two texts can be compared word for word.
"""
import argparse, os, sys
import numpy as np
import torch
from transformers import AutoTokenizer, GPT2LMHeadModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_gpt2  # noqa: E402

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", nargs="?", default="runs/ch06/best")
    parser.add_argument("--prompt", default="First Citizen:\n")
    parser.add_argument("--tokens", type=int, default=120)
    args = parser.parse_args()
    if not os.path.exists(os.path.join(args.checkpoint, "model.safetensors")):
        sys.exit(f"error: no checkpoint in {args.checkpoint}: run `swift run -c release ch06-training` first")

    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint)
    model = GPT2LMHeadModel.from_pretrained(args.checkpoint).eval()
    ids = tokenizer(args.prompt)["input_ids"]
    print(f"prompt {args.prompt!r} -> {len(ids)} tokens {ids}; decodes back: {tokenizer.decode(ids) == args.prompt}")

    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].numpy()
    independent = numpy_gpt2.forward(args.checkpoint, np.array(ids))
    print(f"logits: largest difference from numpy_gpt2.py {np.abs(logits - independent).max():.2e}, "
          f"same most likely token at every position: {(logits.argmax(-1) == independent.argmax(-1)).all()}")

    # Greedy, one token at a time, the context cropped to the model's window as the workbook does.
    window = model.config.n_positions
    tokens = list(ids)
    with torch.no_grad():
        for _ in range(args.tokens):
            context = tokens[-window:]
            tokens.append(int(model(torch.tensor([context])).logits[0, -1].argmax()))
    print("greedy continuation:")
    print(tokenizer.decode(tokens))

if __name__ == "__main__":
    main()
