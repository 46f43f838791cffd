#!/usr/bin/python3
"""word2vec training: `latent train word2vec` against gensim 4 on identical tokens.

  /usr/bin/python3 bench/word2vec_train_peers.py --latent build/latent \
      --corpus ../shared/data/text/novels ../shared/data/text/general \
      --questions ../shared/data/vectors/questions-words.txt --rounds 2 --json out.json

Steps:
 1. Tokenize the corpus with tokenize_text() below, a re-implementation of latent's
    tokenize() (src/core/word2vec_train.cpp), and write a pre-tokenized copy (one file per
    book, one 1000-token sentence per line) under --work. Both trainers then read that
    copy, so they see the same tokens and the same sentences: ours re-tokenizes it
    (tokenizing is idempotent on its own output) and cuts each file's stream into
    1000-token sentences = the lines; gensim reads it with PathLineSentences (one line,
    one sentence).
 2. Check the re-implementation against latent itself: train ours on the raw books with
    --min-count 1 --epochs 1 --dim 1 and compare its whole vocabulary and token count with
    the Python tokenizer's (they must be equal; the benchmark stops otherwise).
 3. Alternate for --rounds rounds: ours (`latent train word2vec`, training time as it
    reports it: after reading and vocabulary), then gensim Word2Vec(sg=1, negative=5,
    vector_size=100, window=5, min_count=5, epochs=5, workers=THREADS, sample=1e-3,
    seed=ROUND) with build_vocab() untimed and train() timed, on the sentences already in
    memory (a list). Optionally (--gensim-corpus-file) also gensim's corpus_file mode.
    Words/s = corpus tokens x epochs / training seconds for every trainer (raw words, not
    gensim's "effective words" after subsampling and out-of-vocabulary removal).
 4. Analogy accuracy of every trained model with gensim's
    KeyedVectors.evaluate_word_analogies(questions, restrict_vocab=300000): total
    (over the questions whose four words are all in the vocabulary), semantic (the
    non-"gram" sections) and syntactic ("gram" sections).

Output: a table on stderr and, with --json, one JSON object. Run with Debian's
/usr/bin/python3 (python3-gensim 4.2). The machine should be otherwise idle; ours and
gensim alternate so that load from other work falls on both alike.
"""
import argparse
import collections
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import time

# ---------------------------------------------------------------- tokenizer
# Same rules as latent::tokenize(): tokens are runs of word characters with inner
# apostrophes (ASCII ' or U+2019, written as '), lower-cased (ASCII, Latin-1 capitals, OE).
# Word characters: ASCII letters and digits, and every non-ASCII code point outside these
# separator blocks: U+0080-U+00BF, U+00D7, U+00F7, U+2000-U+2BFF, U+2E00-U+2E7F,
# U+3000-U+303F, U+FE10-U+FE6F, U+FF01-U+FF0F, U+FEFF, U+FFF0-U+FFFF.
_W = ("0-9A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u1FFF\u2C00-\u2DFF\u2E80-\u2FFF"
      "\u3040-\uFE0F\uFE70-\uFEFE\uFF00\uFF10-\uFFEF\U00010000-\U0010FFFF")
_TOKEN = re.compile(f"[{_W}]+(?:['\u2019][{_W}]+)*")
_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_LOWER.update({c: c + 32 for c in range(0xC0, 0xDF) if c != 0xD7})
_LOWER[0x152] = 0x153
_LOWER[0x2019] = ord("'")


def tokenize_text(text):
    return [t.translate(_LOWER) for t in _TOKEN.findall(text)]


def corpus_files(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, _dirs, names in os.walk(p):
                found += [os.path.join(root, n) for n in names if n.endswith(".txt")]
            files += sorted(found)
        else:
            files.append(p)
    return files


def write_pretokenized(files, out_dir, sentence_len=1000):
    """One file per book (names keep latent's file order), one sentence per line."""
    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):
        os.remove(os.path.join(out_dir, old))
    counts = collections.Counter()
    sentences = []
    for i, path in enumerate(files):
        with open(path, "rb") as f:
            toks = tokenize_text(f.read().decode("utf-8", errors="replace"))
        counts.update(toks)
        book = [toks[k:k + sentence_len] for k in range(0, len(toks), sentence_len)]
        sentences += book
        name = f"{i:04d}_{os.path.basename(path)}"
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            for s in book:
                f.write(" ".join(s) + "\n")
    return counts, sentences


# ---------------------------------------------------------------- trainers
_TRAINED = re.compile(r"trained (\d+) words \(vocabulary (\d+), corpus (\d+) tokens\) in ([0-9.]+) s: ([0-9.]+) words/s")


def run_latent(latent, inputs, out, args, seed, dim=None, min_count=None, epochs=None):
    cmd = [latent, "train", "word2vec", *inputs, "--out", out,
           "--dim", str(dim or args.dim), "--window", str(args.window), "--negative", str(args.negative),
           "--min-count", str(min_count or args.min_count), "--epochs", str(epochs or args.epochs),
           "--threads", str(args.threads), "--seed", str(seed)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"latent failed ({p.returncode}): {p.stderr[-2000:]}")
    m = _TRAINED.search(p.stderr)
    if not m:
        sys.exit(f"cannot parse latent's output: {p.stderr[-2000:]}")
    return {"trained_words": int(m[1]), "vocab": int(m[2]), "corpus_tokens": int(m[3]),
            "train_seconds": float(m[4]), "words_per_second": float(m[5]), "wall_seconds": wall,
            "command": " ".join(cmd)}


def read_vocab(path):
    """Words of a word2vec binary file, in file order."""
    words = []
    with open(path, "rb") as f:
        v, d = map(int, f.readline().split())
        for _ in range(v):
            w = bytearray()
            while True:
                c = f.read(1)
                if c == b" ":
                    break
                if c != b"\n":
                    w += c
            f.read(4 * d)
            words.append(w.decode("utf-8"))
    return words


def run_gensim(sentences, corpus_tokens, args, seed, save_to, corpus_file=None):
    from gensim.models import Word2Vec
    params = dict(sg=1, hs=0, negative=args.negative, vector_size=args.dim, window=args.window,
                  min_count=args.min_count, epochs=args.epochs, workers=args.threads, sample=1e-3,
                  seed=seed)
    model = Word2Vec(**params)
    if corpus_file:
        model.build_vocab(corpus_file=corpus_file)
        t0 = time.perf_counter()
        model.train(corpus_file=corpus_file, total_examples=model.corpus_count,
                    total_words=model.corpus_total_words, epochs=model.epochs)
    else:
        model.build_vocab(sentences)
        t0 = time.perf_counter()
        model.train(sentences, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                    epochs=model.epochs)
    secs = time.perf_counter() - t0
    model.wv.save_word2vec_format(save_to, binary=True)
    return {"vocab": len(model.wv), "corpus_tokens": model.corpus_total_words, "train_seconds": secs,
            "words_per_second": corpus_tokens * args.epochs / secs,
            "params": {k: v for k, v in params.items()} | ({"corpus_file": True} if corpus_file else {})}


def analogies(path, questions):
    from gensim.models import KeyedVectors
    kv = KeyedVectors.load_word2vec_format(path, binary=True)
    score, sections = kv.evaluate_word_analogies(questions, restrict_vocab=300000)
    out = {"total": float(score)}
    sem = [s for s in sections if not s["section"].startswith("gram") and s["section"] != "Total accuracy"]
    syn = [s for s in sections if s["section"].startswith("gram")]
    for name, group in (("semantic", sem), ("syntactic", syn)):
        c = sum(len(s["correct"]) for s in group)
        n = c + sum(len(s["incorrect"]) for s in group)
        out[name] = c / n if n else 0.0
        out[name + "_questions"] = n
    tot = sections[-1]
    out["questions"] = len(tot["correct"]) + len(tot["incorrect"])
    out["correct"] = len(tot["correct"])
    for s in sections:
        if s["section"] == "family":
            out["family"] = f"{len(s['correct'])}/{len(s['correct']) + len(s['incorrect'])}"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latent", default="build/latent")
    ap.add_argument("--corpus", nargs="+", default=["../shared/data/text/novels", "../shared/data/text/general"])
    ap.add_argument("--questions", default="../shared/data/vectors/questions-words.txt")
    ap.add_argument("--work", default="/tmp/latent-w2v-bench")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--negative", type=int, default=5)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds (seed = round number)")
    ap.add_argument("--gensim-corpus-file", action="store_true", help="also time gensim's corpus_file mode")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.makedirs(args.work, exist_ok=True)

    files = corpus_files(args.corpus)
    tok_dir = os.path.join(args.work, "tokens")
    t0 = time.perf_counter()
    counts, sentences = write_pretokenized(files, tok_dir)
    corpus_tokens = sum(counts.values())
    print(f"tokenized {len(files)} files: {corpus_tokens} tokens, {len(counts)} distinct, "
          f"{len(sentences)} sentences ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)

    # 2. The Python tokenizer must agree with latent's on the raw books.
    chk = run_latent(args.latent, args.corpus, os.path.join(args.work, "vocab-check.bin"), args, 1,
                     dim=1, min_count=1, epochs=1)
    ours_vocab = read_vocab(os.path.join(args.work, "vocab-check.bin"))
    same = chk["corpus_tokens"] == corpus_tokens and set(ours_vocab) == set(counts)
    order_ok = all(counts[ours_vocab[i]] >= counts[ours_vocab[i + 1]] for i in range(len(ours_vocab) - 1))
    print(f"tokenizer check: latent {chk['corpus_tokens']} tokens / {len(ours_vocab)} words, python "
          f"{corpus_tokens} / {len(counts)}: {'identical' if same and order_ok else 'DIFFERENT'}", file=sys.stderr)
    if not (same and order_ok):
        diff = sorted(set(ours_vocab) ^ set(counts))[:20]
        sys.exit(f"tokenizers differ, e.g. {diff}")

    runs = collections.defaultdict(list)
    for r in range(1, args.rounds + 1):
        out = os.path.join(args.work, f"ours-{r}.bin")
        res = run_latent(args.latent, [tok_dir], out, args, r)
        res |= {"round": r, "accuracy": analogies(out, args.questions)}
        runs["latent"].append(res)
        print(f"round {r} latent: {res['words_per_second']:.0f} words/s ({res['train_seconds']:.1f} s), "
              f"accuracy {100 * res['accuracy']['total']:.2f}%", file=sys.stderr)

        out = os.path.join(args.work, f"gensim-{r}.bin")
        res = run_gensim(sentences, corpus_tokens, args, r, out)
        res |= {"round": r, "accuracy": analogies(out, args.questions)}
        runs["gensim"].append(res)
        print(f"round {r} gensim: {res['words_per_second']:.0f} words/s ({res['train_seconds']:.1f} s), "
              f"accuracy {100 * res['accuracy']['total']:.2f}%", file=sys.stderr)

        if args.gensim_corpus_file:
            cf = os.path.join(args.work, "corpus.txt")
            if not os.path.exists(cf):
                with open(cf, "w", encoding="utf-8") as f:
                    for s in sentences:
                        f.write(" ".join(s) + "\n")
            out = os.path.join(args.work, f"gensim-cf-{r}.bin")
            res = run_gensim(None, corpus_tokens, args, r, out, corpus_file=cf)
            res |= {"round": r, "accuracy": analogies(out, args.questions)}
            runs["gensim-corpus_file"].append(res)
            print(f"round {r} gensim corpus_file: {res['words_per_second']:.0f} words/s "
                  f"({res['train_seconds']:.1f} s), accuracy {100 * res['accuracy']['total']:.2f}%", file=sys.stderr)

    summary = {}
    for name, rs in runs.items():
        summary[name] = {
            "words_per_second_median": statistics.median(r["words_per_second"] for r in rs),
            "train_seconds_median": statistics.median(r["train_seconds"] for r in rs),
            "accuracy_total_mean": statistics.mean(r["accuracy"]["total"] for r in rs),
            "accuracy_semantic_mean": statistics.mean(r["accuracy"]["semantic"] for r in rs),
            "accuracy_syntactic_mean": statistics.mean(r["accuracy"]["syntactic"] for r in rs),
            "vocab": rs[0]["vocab"],
            "questions": rs[0]["accuracy"]["questions"],
        }
    g = summary["gensim"]
    for name, s in summary.items():
        s["speed_ratio_vs_gensim"] = s["words_per_second_median"] / g["words_per_second_median"]
        s["accuracy_points_vs_gensim"] = 100 * (s["accuracy_total_mean"] - g["accuracy_total_mean"])

    print(f"\n{'trainer':<20} {'words/s':>10} {'train s':>8} {'x gensim':>8} {'acc %':>7} {'sem %':>7} "
          f"{'syn %':>7} {'vs gensim':>9} {'vocab':>6}", file=sys.stderr)
    for name, s in summary.items():
        print(f"{name:<20} {s['words_per_second_median']:>10.0f} {s['train_seconds_median']:>8.1f} "
              f"{s['speed_ratio_vs_gensim']:>8.2f} {100 * s['accuracy_total_mean']:>7.2f} "
              f"{100 * s['accuracy_semantic_mean']:>7.2f} {100 * s['accuracy_syntactic_mean']:>7.2f} "
              f"{s['accuracy_points_vs_gensim']:>+9.2f} {s['vocab']:>6}", file=sys.stderr)

    result = {"corpus": args.corpus, "files": len(files), "corpus_tokens": corpus_tokens,
              "sentences": len(sentences), "threads": args.threads, "rounds": args.rounds,
              "params": {"dim": args.dim, "window": args.window, "negative": args.negative,
                         "min_count": args.min_count, "epochs": args.epochs, "sample": 1e-3},
              "tokenizer_check": {"latent_tokens": chk["corpus_tokens"], "python_tokens": corpus_tokens,
                                  "distinct_words": len(counts), "identical": True},
              "summary": summary, "runs": dict(runs),
              "loadavg_after": os.getloadavg()}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
