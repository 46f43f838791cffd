#!/usr/bin/python3
"""The peers' side of bench/run_whole_process.sh: one job per invocation, so that every
peer run is a fresh process (interpreter start, imports, reading the input, the work and
writing the result), timed from outside like `latent`.

  whole_process_peers.py numpy-pca   DATA OUT_DIR [--k 64] [--limit N]
  whole_process_peers.py sklearn-pca DATA OUT_DIR [--k 64] [--limit N]
  whole_process_peers.py gensim-bin-query FILE.bin WORD [--k 10]
  whole_process_peers.py gensim-kv-query  FILE.kv  WORD [--k 10]
  whole_process_peers.py gensim-save FILE.bin FILE.kv          (preparation, not timed)
  whole_process_peers.py query-word  FILE.bin [--seed 42]      (preparation, not timed)
  whole_process_peers.py versions                              (numpy, scikit-learn, gensim)

numpy-pca    reads the IDX .gz itself (gzip + numpy.frombuffer, bench/idx.py), scales the
             pixels by 1/255 to float32, then as a plain NumPy script would:
             mean = X.mean(0); Xc = X - mean; cov = Xc.T @ Xc / (n-1) (float32 throughout:
             the product goes to BLAS sgemm/ssyrk); np.linalg.eigh(cov) (float32 LAPACK
             ssyevd); keeps the top K; writes OUT_DIR/mean.npy and OUT_DIR/components.npy.
sklearn-pca  reads the data the same way; PCA(n_components=K, svd_solver='randomized',
             random_state=0).fit(X) (float32 kept); writes OUT_DIR/mean.npy and
             OUT_DIR/components.npy.
gensim-bin-query  KeyedVectors.load_word2vec_format(FILE, binary=True), then
             most_similar(WORD, topn=K) (its first call computes the norms of all vectors).
gensim-kv-query   KeyedVectors.load(FILE.kv, mmap='r'), then most_similar(WORD, topn=K).
gensim-save  load_word2vec_format, fill_norms(), save(FILE.kv, separately=['vectors',
             'norms']): the vectors and the norms are their own .npy files, so that load
             with mmap='r' maps both and the first query does not recompute the norms
             (gensim's fastest reopen).
query-word   the word at index splitmix64(seed) % count of a word2vec binary, found by
             walking its records (the first query word of bench/word_vectors_peers.py).

The query jobs print the answers as `latent neighbors` does ("  1  word  0.1234"). Run with
Debian's /usr/bin/python3 (python3-numpy, python3-sklearn, python3-gensim). Only the
modules a job needs are imported.
"""
import argparse
import os
import sys

MASK = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def load_images(path, limit):
    import numpy as np
    from idx import read_idx_u8  # bench/idx.py: gzip + numpy.frombuffer
    x = read_idx_u8(path, limit)
    return x.reshape(len(x), -1).astype(np.float32) / np.float32(255.0)


def numpy_pca(args):
    import numpy as np
    x = load_images(args.data, args.limit)
    n = x.shape[0]
    mean = x.mean(axis=0)
    xc = x - mean
    cov = (xc.T @ xc) / np.float32(n - 1)  # float32
    w, v = np.linalg.eigh(cov)  # ascending
    components = np.ascontiguousarray(v[:, ::-1][:, :args.k].T)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "mean.npy"), mean)
    np.save(os.path.join(args.out, "components.npy"), components)
    top = w[::-1][:args.k]
    print(f"numpy-pca: {n} x {x.shape[1]} -> {args.k}, dtype {cov.dtype}, "
          f"explained {float(top.sum(dtype=np.float64) / w.sum(dtype=np.float64)):.6f}")


def sklearn_pca(args):
    import numpy as np
    from sklearn.decomposition import PCA
    x = load_images(args.data, args.limit)
    p = PCA(n_components=args.k, svd_solver="randomized", random_state=0).fit(x)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "mean.npy"), p.mean_)
    np.save(os.path.join(args.out, "components.npy"), p.components_)
    print(f"sklearn-pca: {x.shape[0]} x {x.shape[1]} -> {args.k}, dtype {p.components_.dtype}, "
          f"explained {float(np.sum(p.explained_variance_ratio_, dtype=np.float64)):.6f}")


def gensim_kv():
    import logging
    logging.disable(logging.CRITICAL)
    from gensim.models import KeyedVectors
    return KeyedVectors


def print_answers(title, answers):
    print(title)
    for rank, (w, s) in enumerate(answers, 1):
        print(f"{rank:3d}  {w:<24s} {s:.4f}")


def gensim_bin_query(args):
    kv = gensim_kv().load_word2vec_format(args.file, binary=True)
    print_answers(f"neighbors of {args.word}  (gensim load_word2vec_format + most_similar)",
                  kv.most_similar(args.word, topn=args.k))


def gensim_kv_query(args):
    kv = gensim_kv().load(args.file, mmap="r")
    print_answers(f"neighbors of {args.word}  (gensim load(mmap='r') + most_similar)",
                  kv.most_similar(args.word, topn=args.k))


def gensim_save(args):
    kv = gensim_kv().load_word2vec_format(args.file, binary=True)
    kv.fill_norms()
    tmp = args.out + ".tmp"
    kv.save(tmp, separately=["vectors", "norms"])
    # save() writes TMP, TMP.vectors.npy and TMP.norms.npy; load() finds the arrays by
    # the name it is given, so rename the arrays first and the pickle last.
    for suffix in (".vectors.npy", ".norms.npy"):
        os.replace(tmp + suffix, args.out + suffix)
    os.replace(tmp, args.out)
    print(f"saved {args.file} as {args.out} (+ .vectors.npy, .norms.npy)", file=sys.stderr)


def query_word(args):
    with open(args.file, "rb", buffering=1 << 20) as f:
        count, dim = map(int, f.readline().split())
        target = splitmix64(args.seed) % count
        row = 4 * dim
        for i in range(target + 1):
            head = f.read(256)
            space = head.find(b" ")
            if space < 0:
                sys.exit(f"{args.file}: no word at record {i} of {count} (not a word2vec binary?)")
            if i == target:
                # word2vec.c writes a newline after each vector, before the next word.
                print(head[:space].lstrip(b"\n").decode("utf-8"))
                return
            f.seek(space + 1 - len(head) + row, os.SEEK_CUR)


def versions(_args):
    out = []
    for mod in ("numpy", "sklearn", "gensim"):
        try:
            m = __import__(mod)
            out.append(f"{mod} {m.__version__}")
        except ImportError:
            out.append(f"{mod} (not installed)")
    print(", ".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="job", required=True)
    for name, fn in (("numpy-pca", numpy_pca), ("sklearn-pca", sklearn_pca)):
        p = sub.add_parser(name)
        p.add_argument("data")
        p.add_argument("out")
        p.add_argument("--k", type=int, default=64)
        p.add_argument("--limit", type=int, default=None)
        p.set_defaults(fn=fn)
    for name, fn in (("gensim-bin-query", gensim_bin_query), ("gensim-kv-query", gensim_kv_query)):
        p = sub.add_parser(name)
        p.add_argument("file")
        p.add_argument("word")
        p.add_argument("--k", type=int, default=10)
        p.set_defaults(fn=fn)
    p = sub.add_parser("gensim-save")
    p.add_argument("file")
    p.add_argument("out")
    p.set_defaults(fn=gensim_save)
    p = sub.add_parser("query-word")
    p.add_argument("file")
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(fn=query_word)
    p = sub.add_parser("versions")
    p.set_defaults(fn=versions)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
