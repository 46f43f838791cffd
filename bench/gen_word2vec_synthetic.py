#!/usr/bin/python3
"""Writes a synthetic word2vec binary file: N unique ASCII words x DIM float32.

    bench/gen_word2vec_synthetic.py N DIM OUT [--seed S] [--chunk C]

The layout is the one word2vec.c writes (and gensim reads): a header line
"N DIM\\n", then per word: the word, one space, DIM little-endian float32, "\\n".

Words: a run of lowercase letters (length 1-15, mean about 6, binomially
distributed, so short words dominate as in a real vocabulary) followed by the
word's index in decimal, e.g. "the0", "qzvb17", "w2999999". The letters never
end in a digit and the index never starts with 0 (except "0"), so the split is
unambiguous and every word is unique. Each word whose index is divisible by 10
uses the fixed prefix "w" instead, giving the "w1234560" style. Mean length is
about 12 bytes for 3,000,000 words.

Vectors: standard normal * 0.1 (float32), from numpy's PCG64 seeded with S.

Memory: the file is written in chunks of C words (default 5,000); nothing
larger than one chunk is ever held, so even the 3.6 GB file is written in
under 100 MB of memory (mostly numpy itself). The output is a function of
N, DIM, the seed and the chunk size.
Run with Debian's /usr/bin/python3 (python3-numpy). Writes OUT.tmp, then
renames it to OUT.
"""
import argparse
import os
import sys
import time

import numpy as np

LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def chunk_words(rng, start, stop):
    n = stop - start
    lengths = 1 + rng.binomial(14, 0.35, size=n)  # 1..15, mean 5.9
    letters = LETTERS[rng.integers(0, 26, size=int(lengths.sum()))].tobytes()
    words = []
    at = 0
    for j in range(n):
        i = start + j
        ln = int(lengths[j])
        prefix = b"w" if i % 10 == 0 else letters[at:at + ln]
        at += ln
        words.append(prefix + str(i).encode("ascii"))
    return words


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, help="number of words")
    ap.add_argument("dim", type=int, help="dimensions")
    ap.add_argument("out", help="file to write")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--chunk", type=int, default=5000, help="words per chunk (memory bound)")
    ap.add_argument("--clusters", type=int, default=0,
                    help="draw each vector around one of K random centres (word vectors have such structure; "
                         "pure noise has no meaningful neighbours for approximate search to find). 0: pure noise")
    ap.add_argument("--spread", type=float, default=0.6, help="with --clusters: noise relative to the centres")
    args = ap.parse_args()
    if args.n <= 0 or args.dim <= 0:
        ap.error("N and DIM must be positive")

    rng = np.random.Generator(np.random.PCG64(args.seed))
    centres = None
    if args.clusters > 0:
        centres = rng.standard_normal((args.clusters, args.dim), dtype=np.float32) * np.float32(0.1)
    tmp = args.out + ".tmp"
    t0 = time.time()
    written = 0
    with open(tmp, "wb", buffering=1 << 20) as f:
        f.write(f"{args.n} {args.dim}\n".encode("ascii"))
        for start in range(0, args.n, args.chunk):
            stop = min(args.n, start + args.chunk)
            words = chunk_words(rng, start, stop)
            vecs = rng.standard_normal((stop - start, args.dim), dtype=np.float32) * np.float32(0.1)
            if centres is not None:
                vecs = centres[rng.integers(0, args.clusters, stop - start)] + np.float32(args.spread) * vecs
            vecs = vecs.astype("<f4")
            raw = vecs.tobytes()
            row = args.dim * 4
            parts = []
            for j, w in enumerate(words):
                parts.append(w)
                parts.append(b" ")
                parts.append(raw[j * row:(j + 1) * row])
                parts.append(b"\n")
            buf = b"".join(parts)
            f.write(buf)
            written += len(buf)
            if (start // args.chunk) % 100 == 0:
                print(f"\r{stop}/{args.n} words, {written / 1e9:.2f} GB", end="", file=sys.stderr, flush=True)
    os.replace(tmp, args.out)
    size = os.path.getsize(args.out)
    print(f"\rwrote {args.out}: {args.n} words x {args.dim}, {size} bytes ({size / 2**30:.2f} GiB) "
          f"in {time.time() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
