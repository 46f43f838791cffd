#!/usr/bin/env python3
"""Putting a photo into a generator's space: the encoder against gradient descent (#14 item 3).

For N held-out CelebA faces (ids 009501.. : the encoder's held-out set), one `latent invert`
process per face and per way, timed as a whole (start, read, compute, write), as a person
waits for it:
  search   the generator without an encoder: 300 Adam steps from 4 random starts (what the
           studio does on a drop when there is no encoder)
  encoder  the encoder's mean alone (--steps 0)
  refined  the encoder's mean, then 100 steps, best of 2 starts (the studio's drop with one)
The error is the RMSE per pixel in [0,1] of the reconstruction, from the mse `latent invert`
prints. The interleaving is by face: each face runs all three ways before the next.

  /usr/bin/python3 bench/encoder_vs_inversion.py [--model models/celeba-dcgan] [--n 16]
"""
import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models/celeba-dcgan"))
    ap.add_argument("--latent", default=os.path.join(ROOT, "build/latent"))
    ap.add_argument("--data", default=os.path.join(ROOT, "../shared/data/faces/celeba/images64"))
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--first", type=int, default=9501, help="CelebA id of the first face")
    args = ap.parse_args()

    with open(os.path.join(args.model, "model.json")) as f:
        header = json.load(f)
    if "encoder" not in header.get("torch", {}):
        raise SystemExit(f"{args.model} has no encoder (latent train encoder gives it one)")
    work = tempfile.mkdtemp(prefix="enc-bench-")
    try:
        # The same generator without its encoder.
        bare = os.path.join(work, "bare")
        os.makedirs(bare)
        for name in os.listdir(args.model):
            p = os.path.join(args.model, name)
            if os.path.isfile(p) and name not in ("encoder.pt", "model.json"):
                shutil.copy(p, bare)
        h = json.loads(json.dumps(header))
        del h["torch"]["encoder"]
        with open(os.path.join(bare, "model.json"), "w") as f:
            json.dump(h, f)

        ways = {
            "search": (bare, ["--steps", "300", "--restarts", "4"]),
            "encoder": (args.model, ["--steps", "0", "--restarts", "1"]),
            "refined": (args.model, ["--steps", "100", "--restarts", "2"]),
        }
        res = {w: {"s": [], "rmse": []} for w in ways}
        for k in range(args.n):
            img = os.path.join(args.data, "%06d.jpg" % (args.first + k))
            for w, (model, extra) in ways.items():
                out = os.path.join(work, "z.json")
                t0 = time.perf_counter()
                r = subprocess.run([args.latent, "invert", model, img, "--out", out] + extra,
                                   capture_output=True, text=True)
                dt = time.perf_counter() - t0
                if r.returncode != 0:
                    raise SystemExit(f"{w} on {img} failed:\n{r.stderr}")
                m = re.search(r"mse ([0-9.eE+-]+) \(start", r.stderr)
                res[w]["s"].append(dt)
                res[w]["rmse"].append(math.sqrt(float(m.group(1))))
            print(f"face {k + 1}/{args.n}: " + ", ".join(
                f"{w} {res[w]['rmse'][-1]:.4f} in {res[w]['s'][-1]:.2f} s" for w in ways), flush=True)
        print()
        print(f"{args.n} held-out faces from {args.first:06d}, model {args.model}")
        print("| way | RMSE mean | RMSE median | whole process, median s | vs search |")
        print("|---|---|---|---|---|")
        base = statistics.median(res["search"]["s"])
        for w in ways:
            s = statistics.median(res[w]["s"])
            print(f"| {w} | {statistics.mean(res[w]['rmse']):.4f} | {statistics.median(res[w]['rmse']):.4f} | "
                  f"{s:.2f} | {base / s:.1f}x faster |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
