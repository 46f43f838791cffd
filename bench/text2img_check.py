#!/usr/bin/python3
"""Text -> faces, judged by the attribute classifier (issue 15, item 2).

For each description, `latent text2img MODEL TEXT --check --json` makes N faces (the
regression's answer plus draws of the spread the description leaves open) and labels
them with models/celeba-attributes; a face counts when it carries every attribute the
description names. Prints a Markdown table per model: the share of the first 4 faces
(the done-when) and of N faces (a steadier rate).

  bench/text2img_check.py [--n 32] [--vse models/faces-vse] MODEL...
"""
import argparse
import json
import subprocess
import sys

# Chosen before any was measured, 1-3 attributes each; the defaults (strength, spread)
# were tuned on TUNING, never on these.
DESCRIPTIONS = [
    "a smiling young woman",
    "a man with gray hair",
    "a woman with black hair",
    "a blond woman",
    "a serious man",
    "a woman with bangs",
    "a man wearing glasses",
    "an old woman",
    "a woman with heavy makeup",
    "a smiling man",
]
TUNING = [
    "a smiling man with a beard", "a woman with blond hair", "a man with glasses", "an old man",
    "a young woman with wavy hair and lipstick", "a bald man", "a smiling woman", "a man with black hair",
    "a woman wearing a hat", "a young man with a mustache",
]


def check(latent, model, vse, text, n, seed):
    out = subprocess.run([latent, "text2img", model, text, "--vse", vse, "--n", str(n), "--seed", str(seed),
                          "--check", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"text2img failed for {text!r}: {out.stderr.strip()}")
    return json.loads(out.stdout[out.stdout.index("{"):])["check"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--vse", default="models/faces-vse")
    ap.add_argument("--latent", default="build/latent")
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--tuning", action="store_true", help="the tuning descriptions instead")
    a = ap.parse_args()
    texts = TUNING if a.tuning else DESCRIPTIONS
    for model in a.models:
        print(f"\n{model} ({'tuning set' if a.tuning else 'test set'}; first 4 faces, and {a.n} faces)\n")
        print("| description | named | first 4 | of %d |" % a.n)
        print("|---|---|---|---|")
        passed = 0
        for t in texts:
            c = check(a.latent, model, a.vse, t, a.n, 0)
            first4 = sum(f["carries_all"] for f in c["faces"][:4])
            named = ", ".join(("+" if v else "-") + k for k, v in c["named"].items())
            passed += first4 >= 3
            print(f"| {t} | {named} | {first4}/4 | {c['carried']:.2f} |")
        print(f"\n{passed} of {len(texts)} descriptions carried by at least 3 of their first 4 faces")


if __name__ == "__main__":
    main()
