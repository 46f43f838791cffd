#!/usr/bin/python3
"""Word-vector peer timings with gensim (Debian python3-gensim 4.2), the counterpart of
bench/bench_word_vectors.cpp.

  word_vectors_peers.py FILE.bin [--mode all|load-query] [--queries N] [--seed S] [--k K]
  word_vectors_peers.py --analogies VECTORS.bin QUESTIONS [--restrict-vocab N]

Timings (--mode all, the default):
  load_bin_s                KeyedVectors.load_word2vec_format(FILE, binary=True)
  first_query_s             the first most_similar(word, topn=K); it includes gensim's
                            fill_norms() (the norms of all vectors), computed on first use
  query_median_ms/p90/min   most_similar(word, topn=K) over N words, after the first
--mode load-query stops after the first query (for peak memory under /usr/bin/time -v, one
process per measurement). The query words are the words at indices
splitmix64(seed + j) % count, j = 0..N-1, the same as bench_word_vectors picks.

--analogies: KeyedVectors.evaluate_word_analogies(QUESTIONS, restrict_vocab=N) (defaults
of gensim otherwise: case_insensitive=True, dummy4unknown=False) on VECTORS loaded with
load_word2vec_format(binary=True); prints the total and per-section counts.

Output: "key=value" lines on stdout; gensim's log is silenced. Run with Debian's
/usr/bin/python3.
"""
import argparse
import logging
import statistics
import sys
import time

import numpy as np
import gensim
from gensim.models import KeyedVectors

from splitmix import MASK, splitmix64  # noqa: E402 (bench/splitmix.py)


def query_indices(count, n, seed):
    return [splitmix64(seed + j) % count for j in range(n)]


def percentile(values, p):
    v = sorted(values)
    pos = p * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def timings(args):
    print(f"gensim={gensim.__version__}\nnumpy={np.__version__}\nfile={args.file}")
    t0 = time.perf_counter()
    kv = KeyedVectors.load_word2vec_format(args.file, binary=True)
    load = time.perf_counter() - t0
    count, dim = kv.vectors.shape
    print(f"count={count}\ndim={dim}\nload_bin_s={load:.4f}", flush=True)
    words = [kv.index_to_key[i] for i in query_indices(count, args.queries, args.seed)]
    print(f"query_word0={words[0]}")
    t0 = time.perf_counter()
    ans = kv.most_similar(words[0], topn=args.k)
    print(f"first_query_s={time.perf_counter() - t0:.4f}")
    print("answer0=" + ",".join(w for w, _ in ans), flush=True)
    if args.mode == "load-query":
        return
    ms = []
    for w in words:
        t0 = time.perf_counter()
        kv.most_similar(w, topn=args.k)
        ms.append(1000 * (time.perf_counter() - t0))
    print(f"query_queries={len(ms)}")
    print(f"query_median_ms={statistics.median(ms):.3f}")
    print(f"query_p90_ms={percentile(ms, 0.9):.3f}")
    print(f"query_min_ms={min(ms):.3f}")


def analogies(args):
    vectors, questions = args.analogies
    print(f"gensim={gensim.__version__}\nvectors={vectors}\nquestions={questions}")
    kv = KeyedVectors.load_word2vec_format(vectors, binary=True)
    t0 = time.perf_counter()
    score, sections = kv.evaluate_word_analogies(questions, restrict_vocab=args.restrict_vocab)
    print(f"eval_s={time.perf_counter() - t0:.3f}")
    for s in sections:
        c, i = len(s["correct"]), len(s["incorrect"])
        name = s["section"].replace(" ", "_")
        print(f"section.{name}={c}/{c + i}")
    print(f"accuracy_pct={100 * score:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", help="word2vec binary to time")
    ap.add_argument("--mode", choices=["all", "load-query"], default="all")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--analogies", nargs=2, metavar=("VECTORS", "QUESTIONS"))
    ap.add_argument("--restrict-vocab", type=int, default=300000)
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)
    if args.analogies:
        analogies(args)
    elif args.file:
        timings(args)
    else:
        ap.error("give FILE.bin or --analogies VECTORS QUESTIONS")


if __name__ == "__main__":
    sys.exit(main())
