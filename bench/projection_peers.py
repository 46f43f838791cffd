#!/usr/bin/python3
"""Projection peers on Fashion-MNIST, and the metrics of every layout (ours and theirs).

Data: the first --n (10,000) train images (IDX .gz read with gzip + numpy.frombuffer,
pixels / 255 as float32), raw 784-D, and their 64-component PCA encodings as
bench_projection wrote them (--encodings; both sides map the same matrix).

Peers, timed by wall clock around fit_transform (each run on its own; nothing else runs):
  * sklearn.manifold.TSNE(n_components=2, perplexity=30, n_iter=1000, init='pca',
    learning_rate='auto', angle=0.5, method='barnes_hut', random_state=SEED)
    (scikit-learn 1.2's defaults, spelled out); its kl_divergence_ is recorded.
  * umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=SEED): the first fit in the
    process (it includes numba's compilation) and the following ones (steady state) are
    timed separately: raw first, raw again, then the encodings.

Metrics, the same code for every layout:
  * trustworthiness: sklearn.manifold.trustworthiness(X, Y, n_neighbors=10), X the input
    the layout was made from (and, for layouts of the encodings, also the raw images).
  * t-SNE KL divergence, exact: P as scikit-learn's TSNE builds it (the 91 = 3*30+1
    nearest neighbours, squared Euclidean distances, perplexity-30 binary search,
    P = (P + P^T) / sum) and Q of the layout with the full normaliser
    Z = sum_{i != j} 1 / (1 + |y_i - y_j|^2), in float64: KL = sum p_ij log(p_ij / q_ij).
    (scikit-learn's kl_divergence_ is the same P against its Barnes-Hut estimate of Z.)

Layouts are read from --ours-dir (ours_{tsne,umap}_{raw,pca64}.npy) and the peers'
layouts are written there too (peer_*.npy). One JSON object goes to stdout; progress to
stderr. Run with Debian's /usr/bin/python3 (python3-sklearn, umap-learn).
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

from idx import read_idx_u8

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def load_idx_images(path, limit):
    x = read_idx_u8(path, limit)
    return x.reshape(len(x), -1).astype(np.float32) / np.float32(255.0)


def tsne_P(x, perplexity=30.0):
    """The joint probabilities scikit-learn's Barnes-Hut TSNE builds (sparse CSR)."""
    from sklearn.manifold._t_sne import _joint_probabilities_nn
    from sklearn.neighbors import NearestNeighbors
    n = x.shape[0]
    k = min(n - 1, int(3.0 * perplexity + 1))
    knn = NearestNeighbors(algorithm="auto", n_neighbors=k, metric="euclidean").fit(x)
    d = knn.kneighbors_graph(mode="distance")
    d.data **= 2
    return _joint_probabilities_nn(d, perplexity, 0)


def exact_kl(P, y):
    """KL(P || Q) with Q the Student-t similarities of layout y, exact normaliser."""
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[0]
    sq = np.sum(y * y, axis=1)
    z = 0.0
    block = 1000
    for s in range(0, n, block):
        e = min(n, s + block)
        d2 = sq[s:e, None] + sq[None, :] - 2.0 * (y[s:e] @ y.T)
        np.maximum(d2, 0.0, out=d2)
        w = 1.0 / (1.0 + d2)
        w[np.arange(e - s), np.arange(s, e)] = 0.0
        z += w.sum()
    P = P.tocoo()
    i, j, p = P.row, P.col, P.data.astype(np.float64)
    d2 = np.sum((y[i] - y[j]) ** 2, axis=1)
    q = np.maximum(1.0 / (1.0 + d2) / z, np.finfo(np.double).eps)
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def trust(x, y):
    from sklearn.manifold import trustworthiness
    return float(trustworthiness(x, y, n_neighbors=10))


def run_tsne(x, seed):
    from sklearn.manifold import TSNE
    t = TSNE(n_components=2, perplexity=30.0, n_iter=1000, init="pca", learning_rate="auto",
             angle=0.5, method="barnes_hut", random_state=seed)
    t0 = time.perf_counter()
    y = t.fit_transform(x)
    s = time.perf_counter() - t0
    return y.astype(np.float32), s, float(t.kl_divergence_), int(t.n_iter_)


def run_umap(x, seed):
    import umap
    u = umap.UMAP(n_neighbors=15, min_dist=0.1, random_state=seed)
    t0 = time.perf_counter()
    y = u.fit_transform(x)
    return y.astype(np.float32), time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("LATENT_FASHION_MNIST", DEFAULT_DATA))
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--encodings", required=True, help="N x 64 .npy written by bench_projection")
    ap.add_argument("--ours-dir", required=True, help="folder with ours_*.npy; peer_*.npy are written there")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--methods", default="tsne,umap")
    ap.add_argument("--umap-steady-repeats", type=int, default=1,
                    help="steady-state UMAP runs per input after the first run")
    ap.add_argument("--no-metrics", action="store_true", help="only time the peers")
    ap.add_argument("--no-peers", action="store_true",
                    help="run no peer; only the metrics of the layouts already in --ours-dir")
    args = ap.parse_args()
    methods = args.methods.split(",")

    import sklearn
    raw = load_idx_images(args.data, args.n)
    enc = np.load(args.encodings).astype(np.float32)
    if enc.shape[0] != raw.shape[0]:
        sys.exit(f"{args.encodings}: {enc.shape[0]} rows, the data has {raw.shape[0]}")
    inputs = {"raw": raw, "pca64": enc}
    out = {"n": raw.shape[0], "data": args.data, "seed": args.seed, "numpy": np.__version__,
           "sklearn": sklearn.__version__, "peers": {}, "metrics": {}}

    # ---- peers
    if "tsne" in methods and not args.no_peers:
        for name, x in inputs.items():
            log(f"sklearn TSNE on {name} {x.shape} ...")
            y, s, kl, it = run_tsne(x, args.seed)
            log(f"  {s:.2f} s, kl_divergence_ {kl:.4f}, n_iter_ {it}")
            out["peers"][f"tsne_{name}"] = {"time_s": s, "kl_divergence_": kl, "n_iter_": it}
            np.save(os.path.join(args.ours_dir, f"peer_tsne_{name}.npy"), y)
    if "umap" in methods and not args.no_peers:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import umap
        out["umap"] = umap.__version__ if hasattr(umap, "__version__") else "?"
        out["umap_import_s"] = time.perf_counter() - t0
        first = True
        for name, x in inputs.items():
            runs = (2 if first else 1) + max(0, args.umap_steady_repeats - 1)
            times = []
            for r in range(runs):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    y, s = run_umap(x, args.seed)
                log(f"umap-learn on {name} {x.shape}: {s:.2f} s{' (first run: numba compilation)' if first and r == 0 else ''}")
                times.append(s)
            rec = {}
            if first:
                rec["first_run_s"] = times.pop(0)
            rec["steady_s"] = times
            rec["time_s"] = float(np.median(times))
            out["peers"][f"umap_{name}"] = rec
            np.save(os.path.join(args.ours_dir, f"peer_umap_{name}.npy"), y)
            first = False

    # ---- metrics, same code for ours and theirs
    if not args.no_metrics:
        Ps = {}
        for side in ("ours", "peer"):
            for method in methods:
                for name, x in inputs.items():
                    path = os.path.join(args.ours_dir, f"{side}_{method}_{name}.npy")
                    if not os.path.exists(path):
                        continue
                    y = np.load(path).astype(np.float32)
                    t0 = time.perf_counter()
                    m = {"trust10": trust(x, y)}
                    if name != "raw":
                        m["trust10_vs_raw"] = trust(raw, y)
                    if method == "tsne":
                        if name not in Ps:
                            Ps[name] = tsne_P(x)
                        m["kl_exact"] = exact_kl(Ps[name], y)
                    out["metrics"][f"{side}_{method}_{name}"] = m
                    log(f"metrics {side} {method} {name}: "
                        + ", ".join(f"{k} {v:.4f}" for k, v in m.items())
                        + f" ({time.perf_counter() - t0:.1f} s)")
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
