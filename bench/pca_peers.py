#!/usr/bin/python3
"""PCA-fit peers on Fashion-MNIST train (60000 x 784 -> 64 components).

Times, on the same data as bench_pca_fit (IDX .gz read with gzip + numpy.frombuffer,
pixels / 255 as float32):
  * sklearn-randomized  sklearn.decomposition.PCA(64, svd_solver='randomized', random_state=0)
  * sklearn-full        sklearn.decomposition.PCA(64, svd_solver='full')
  * numpy-cov-eigh      Xc = X - mean; cov = Xc.T @ Xc / (n-1); numpy.linalg.eigh(cov); top 64
all in float32 (scikit-learn keeps float32 input in float32). Each is run `--repeats`
times after one untimed warm-up; the median wall-clock time is reported. The explained
variance fraction of each is (sum of its top-64 variances) / (its total variance);
'exact' is the same fraction from a float64 covariance and a full float64 eigh.

Output: a human-readable table on stderr, and one JSON object on stdout (--json) or a
table on stdout (default). Run with Debian's /usr/bin/python3 (python3-sklearn).
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np

from idx import read_idx_u8

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def load_idx_images(path):
    x = read_idx_u8(path)
    return x.reshape(len(x), -1).astype(np.float32) / np.float32(255.0)


def sklearn_randomized(x, k):
    from sklearn.decomposition import PCA
    p = PCA(n_components=k, svd_solver="randomized", random_state=0).fit(x)
    return float(np.sum(p.explained_variance_ratio_, dtype=np.float64))


def sklearn_full(x, k):
    from sklearn.decomposition import PCA
    p = PCA(n_components=k, svd_solver="full").fit(x)
    return float(np.sum(p.explained_variance_ratio_, dtype=np.float64))


def numpy_cov_eigh(x, k):
    n = x.shape[0]
    mean = x.mean(axis=0)
    xc = x - mean
    cov = (xc.T @ xc) / np.float32(n - 1)
    w, v = np.linalg.eigh(cov)  # ascending
    top = w[::-1][:k]
    components = v[:, ::-1][:, :k].T
    del components
    return float(np.sum(top, dtype=np.float64) / np.sum(w, dtype=np.float64))


def exact_fraction(x, k):
    x64 = x.astype(np.float64)
    x64 -= x64.mean(axis=0)
    cov = (x64.T @ x64) / (x64.shape[0] - 1)
    w = np.linalg.eigvalsh(cov)[::-1]
    return float(np.sum(w[:k]) / np.sum(w)), float(np.trace(cov))


METHODS = [
    ("numpy-cov-eigh", numpy_cov_eigh),
    ("sklearn-randomized", sklearn_randomized),
    ("sklearn-full", sklearn_full),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--components", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5, help="timed runs of the fast methods")
    ap.add_argument("--full-repeats", type=int, default=3, help="timed runs of sklearn-full")
    ap.add_argument("--methods", default=",".join(m for m, _ in METHODS))
    ap.add_argument("--no-exact", action="store_true", help="skip the float64 reference")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = ap.parse_args()

    x = load_idx_images(args.data)
    k = args.components
    exact, total_var = (None, None) if args.no_exact else exact_fraction(x, k)
    import sklearn
    result = {
        "data": args.data, "n": int(x.shape[0]), "d": int(x.shape[1]), "components": k,
        "dtype": str(x.dtype), "exact_fraction": exact, "total_variance": total_var,
        "numpy": np.__version__, "sklearn": sklearn.__version__, "methods": {},
    }
    wanted = args.methods.split(",")
    for name, fn in METHODS:
        if name not in wanted:
            continue
        reps = args.full_repeats if name == "sklearn-full" else args.repeats
        fn(x, k)  # warm-up
        times = []
        frac = None
        for _ in range(reps):
            t0 = time.perf_counter()
            frac = fn(x, k)
            times.append(time.perf_counter() - t0)
        result["methods"][name] = {
            "median_s": statistics.median(times), "times_s": times, "explained_fraction": frac,
            "dtype": "float32",
        }
        print(f"pca_peers: {name:20s} median {statistics.median(times):8.3f} s over {reps} "
              f"(min {min(times):.3f}, max {max(times):.3f}), explained {frac:.6f}", file=sys.stderr)

    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
    else:
        if exact is not None:
            print(f"exact explained fraction (float64 eigh): {exact:.6f}")
        for name, m in result["methods"].items():
            dev = f"rel.dev {(m['explained_fraction'] - exact) / exact:+.2e}" if exact else ""
            print(f"{name:20s} {m['median_s']:8.3f} s  explained {m['explained_fraction']:.6f}  {dev}")


if __name__ == "__main__":
    main()
