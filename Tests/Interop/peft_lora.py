#!/usr/bin/env python3
"""Chapter 09's exports in Hugging Face transformers and PEFT: the chat template, the adapters, the merge.

    pip install torch transformers peft
    INTEROP_OUT=/tmp/lora-case swift test --filter peftAndTransformers   # writes the folder
    python3 Tests/Interop/peft_lora.py /tmp/lora-case

The folder (written by LoRAExportTests.writeInteropCase) holds
    base/      a grown GPT (BPE-512 + 4 chat tokens) exported by Checkpoint.export, unmerged
    adapter/   its LoRA adapters, by AdapterCheckpoint.save (adapter_model.safetensors + adapter_config.json)
    merged/    the same model with the adapters merged in, by Checkpoint.export
    case.json  a conversation, the workbook's ids for it, and the workbook's logits

Nothing here imports workbook code. Checks, each printed, exit status 1 if one fails:
1. `tokenizer.apply_chat_template(messages)` gives the workbook's ids, id for id (with and
   without the generation prompt), and the four chat tokens have the workbook's ids;
2. `PeftModel.from_pretrained(base, adapter/)` gives the workbook's adapted logits (1e-4);
3. `GPT2LMHeadModel.from_pretrained(merged/)` gives the workbook's merged logits, and so does
   PEFT's own `merge_and_unload()` (1e-4): both merges agree on the orientation.
"""
import json, os, sys
import numpy as np
import torch
from peft import PeftModel
from transformers import AutoTokenizer, GPT2LMHeadModel

TOLERANCE = 1e-4


def ids_of(rendered):
    """apply_chat_template returns a list, or (in newer transformers) a BatchEncoding."""
    if hasattr(rendered, "keys"):
        rendered = rendered["input_ids"]
    return [int(i) for i in rendered]


def logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].numpy()


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("INTEROP_OUT", "")
    if not os.path.exists(os.path.join(folder, "case.json")):
        sys.exit(f"error: no case.json in {folder!r}: run INTEROP_OUT=folder swift test --filter peftAndTransformers")
    case = json.load(open(os.path.join(folder, "case.json")))
    V, prompt = case["vocabulary_size"], case["prompt_ids"]
    failures = []

    def check(ok, line):
        print(f"[check] {line} .... {'OK' if ok else 'FAILED'}")
        if not ok:
            failures.append(line)

    tokenizer = AutoTokenizer.from_pretrained(os.path.join(folder, "base"))
    turns = ["<|user_start|>", "<|user_end|>", "<|assistant_start|>", "<|assistant_end|>"]
    check(tokenizer.convert_tokens_to_ids(turns) == case["turn_tokens"],
          f"chat tokens {turns} have the workbook's ids {case['turn_tokens']}")
    messages = case["messages"]
    rendered = ids_of(tokenizer.apply_chat_template(messages, tokenize=True))
    check(rendered == case["ids"], f"apply_chat_template gives the workbook's {len(case['ids'])} ids")
    rendered = ids_of(tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True))
    check(rendered == prompt, "with add_generation_prompt, the workbook's prompt ids (ending <|assistant_start|>)")

    T = len(prompt)
    ours_adapted = np.array(case["adapted_logits"], dtype=np.float32).reshape(T, V)
    ours_merged = np.array(case["merged_logits"], dtype=np.float32).reshape(T, V)
    print(f"[info ] the workbook's own merge moved its logits by {np.abs(ours_merged - ours_adapted).max():.2e}")
    base = GPT2LMHeadModel.from_pretrained(os.path.join(folder, "base")).eval()
    base_logits = logits(base, prompt)
    peft = PeftModel.from_pretrained(base, os.path.join(folder, "adapter")).eval()
    peft_logits = logits(peft, prompt)
    diff = np.abs(peft_logits - ours_adapted).max()
    moved = np.abs(base_logits - ours_adapted).max()
    check(diff < TOLERANCE and moved > 100 * TOLERANCE,
          f"PEFT's adapted logits vs ours: max diff {diff:.2e} (the adapters move them by {moved:.2e})")
    merged = GPT2LMHeadModel.from_pretrained(os.path.join(folder, "merged")).eval()
    diff = np.abs(logits(merged, prompt) - ours_merged).max()
    check(diff < TOLERANCE, f"our merged model in transformers vs our merged logits: max diff {diff:.2e}")
    unloaded = peft.merge_and_unload().eval()
    diff = np.abs(logits(unloaded, prompt) - ours_merged).max()
    check(diff < TOLERANCE, f"PEFT's merge_and_unload vs our merged logits: max diff {diff:.2e}")
    print(f"{'all' if not failures else len(failures)} checks {'OK' if not failures else 'FAILED'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
