#!/usr/bin/env bash
# Records the output the book quotes: each chapter's default run (the run the book describes),
# the other commands its text shows, and its --quick run, one file per chapter:
# book/transcripts/NN-name.txt. About 20 minutes on 2 cores; run it after changing what a
# chapter prints, then fix any book block the tests say is no longer printed.
#
#   book/transcripts/record.sh            # every chapter
#   book/transcripts/record.sh 07 09      # only these
#
# `swift test` (Tests/BookTests) checks that every output block in book/NN-name.md appears
# in the transcript, timings masked, and that the transcript's --quick checks are the ones
# the chapter prints today, so a transcript that has gone stale fails too.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release >/dev/null

# The commands each chapter's transcript records after its default run: the chapter's options,
# or, after a `!`, a whole command.
extra() {
  case "$1" in
    00) echo "!WORKBOOK_MINE=mistake:0.4 .build/release/ch00-tensors --mine" ;;
    01) echo "--encode 'To be, or not to be: that is the question.'"
        echo "--encode 'To be, or not to be: that is the question.' --tiktoken corpora/tiktoken/cl100k_base.tiktoken"
        echo "--encode 'Don’t stop<|endoftext|>' --allow-special all" ;;
    06) echo "--tokenizer char --out runs/ch06-char"
        echo "!python3 Tests/Interop/hf_gpt2.py runs/ch06/best"
        echo "!WORKBOOK_MINE=mistake:6.6 .build/release/ch06-training --quick --mine --out runs/ch06-mine" ;;
    09) echo "!printf 'Who are you?\\nWhich play is this from?\\\\nO Romeo, Romeo! wherefore art thou Romeo?\\n' | .build/release/ch09-finetuning --chat" ;;
  esac
}

record() {
  local number=$1 folder product file
  folder=$(cd Chapters && ls -d "$number"-*)
  product="ch$folder"
  file="book/transcripts/$folder.txt"
  echo "recording $file"
  # The book describes a first run: chapter 08 would otherwise reuse the sweep a previous run stored.
  [ "$number" != 08 ] || rm -rf runs/ch08
  {
    echo "\$ swift run -c release $product"
    .build/release/"$product" 2>&1 || true
    while IFS= read -r arguments; do
      [ -n "$arguments" ] || continue
      if [ "${arguments:0:1}" = "!" ]; then
        echo "\$ ${arguments:1}"
        eval "${arguments:1}" 2>/dev/null </dev/null || true  # scripts print progress bars on stderr
        echo  # a command may end without a newline (a chat prompt)
      else
        echo "\$ swift run -c release $product $arguments"
        eval ".build/release/$product $arguments" 2>&1 </dev/null || true
      fi
    done < <(extra "$number")
    echo "\$ swift run -c release $product --quick"
    .build/release/"$product" --quick 2>&1 || true
  } > "$file"
}

chapters=("$@")
[ ${#chapters[@]} -gt 0 ] || chapters=(00 01 02 03 04 05 06 07 08 09)
for number in "${chapters[@]}"; do record "$number"; done
