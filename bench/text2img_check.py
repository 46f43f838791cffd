#!/usr/bin/python3
"""Text -> faces, judged by the attribute classifier (issue 15, item 2).

For each description, `latent text2img MODEL TEXT --check --json` makes faces (the
regression's answer plus draws of the spread the description leaves open; with
--best-of K, the faces kept are those of K times as many draws that the face-text space
puts nearest the description) and labels them with models/celeba-attributes; a face
counts when it carries every attribute the description names. Prints a Markdown table
per model: how many of the 4 faces of `text2img --n 4` carry them (the done-when) and
the share over N faces (a steadier rate).

  bench/text2img_check.py [--n 32] [--best-of 8] [--vse models/faces-vse] MODEL...
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


def check(latent, model, vse, text, n, seed, best_of):
    out = subprocess.run([latent, "text2img", model, text, "--vse", vse, "--n", str(n), "--seed", str(seed),
                          "--best-of", str(best_of), "--check", "--json"], capture_output=True, text=True)
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
    ap.add_argument("--best-of", type=int, default=8,
                    help="faces drawn per face kept (text2img --best-of; 1: the map's draws, unchosen)")
    a = ap.parse_args()
    texts = TUNING if a.tuning else DESCRIPTIONS
    for model in a.models:
        print(f"\n{model} ({'tuning set' if a.tuning else 'test set'}; best of {a.best_of}; "
              f"--n 4, and {a.n} faces)\n")
        print("| description | named | first 4 | of %d |" % a.n)
        print("|---|---|---|---|")
        passed = 0
        for t in texts:
            # What a person gets from `text2img --n 4` (with --best-of, the 4 kept of 4 x best-of
            # drawn), and a steadier rate over --n faces.
            four = check(a.latent, model, a.vse, t, 4, 0, a.best_of)
            c = check(a.latent, model, a.vse, t, a.n, 0, a.best_of)
            first4 = sum(f["carries_all"] for f in four["faces"])
            named = ", ".join(("+" if v else "-") + k for k, v in c["named"].items())
            passed += first4 >= 3
            print(f"| {t} | {named} | {first4}/4 | {c['carried']:.2f} |")
        print(f"\n{passed} of {len(texts)} descriptions carried by at least 3 of their first 4 faces")


if __name__ == "__main__":
    main()
