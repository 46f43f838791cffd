#!/usr/bin/python3
"""The approximate-search peers on the same vectors and the same queries as bench_approx.

    bench/ann_peers.py VECTORS.bin ANSWERS [--threads T] [--m M] [--ef-construction C] [--ef E]... [--nprobe P]... [--peers LIST]

VECTORS.bin is a word2vec binary file; ANSWERS is what `bench_approx VECTORS --answers
ANSWERS` wrote: the query words and their exact top 10 (the query word excluded), so both
sides score recall@10 against the same truth. Peers, each with the same graph settings as
ours (M, efConstruction) over the unit vectors and inner product:
  - hnswlib (Debian python3-hnswlib): float32 HNSW;
  - faiss (Debian python3-faiss): IndexHNSWFlat (float32) and IndexHNSWSQ (8-bit scalar
    quantiser, the closest to our int8 graph);
  - faiss IndexIVFFlat (k-means lists, about 4 sqrt(N) of them, the design of the IVF index
    latent retired), swept over --nprobe instead of --ef.
Prints per peer: build time, the process's peak RSS growth while building, and per ef
the p50/p90 latency of one query and recall@10. Run with Debian's /usr/bin/python3.

    bench/ann_peers.py --open-query INDEX --dim D --query-id I [--ef E]

is the whole wait of a person with a saved hnswlib index (--save-hnswlib INDEX when it was
built): start, load the index, answer one query for word I, end; time it from outside.
"""
import argparse
import resource
import sys
import time

import numpy as np


def read_word2vec_bin(path):
    with open(path, "rb") as f:
        n, d = map(int, f.readline().split())
        out = np.empty((n, d), dtype=np.float32)
        data = f.read()
    at = 0
    row = d * 4
    for i in range(n):
        sp = data.index(b" ", at)
        at = sp + 1
        out[i] = np.frombuffer(data, dtype="<f4", count=d, offset=at)
        at += row
        if at < len(data) and data[at] == 0x0A:
            at += 1
    del data
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1
    out /= norms
    return out


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(name, search, queries, truth, efs, set_ef):
    for ef in efs:
        set_ef(ef)
        ms, hits = [], 0
        for q, exact in zip(queries, truth):
            t0 = time.perf_counter()
            got = search(q, ef)
            ms.append((time.perf_counter() - t0) * 1e3)
            got = [int(g) for g in got if int(g) != q][:10]
            hits += len(set(got) & set(exact))
        ms.sort()
        p50 = ms[len(ms) // 2]
        p90 = ms[min(len(ms) - 1, int(0.9 * (len(ms) - 1) + 0.5))]
        print(f"{name}: ef {ef:4d}  p50 {p50:.2f} ms  p90 {p90:.2f} ms  recall@10 {hits / (10.0 * len(queries)):.4f}",
              flush=True)


def open_query(a):
    import hnswlib
    t0 = time.perf_counter()
    idx = hnswlib.Index(space="ip", dim=a.dim)
    idx.load_index(a.open_query)
    idx.set_ef(a.ef[0] if a.ef else 64)
    t1 = time.perf_counter()
    q = np.asarray(idx.get_items([a.query_id]), dtype=np.float32)
    got = idx.knn_query(q, k=11)[0][0]
    print(f"loaded in {t1 - t0:.3f} s, first query {time.perf_counter() - t1:.4f} s; "
          f"{[int(g) for g in got if int(g) != a.query_id][:10]}; peak RSS {peak_mb():.0f} MB", flush=True)


def main():
    if "--open-query" in sys.argv:
        ap = argparse.ArgumentParser()
        ap.add_argument("--open-query")
        ap.add_argument("--dim", type=int, required=True)
        ap.add_argument("--query-id", type=int, required=True)
        ap.add_argument("--ef", type=int, action="append")
        return open_query(ap.parse_args())
    ap = argparse.ArgumentParser()
    ap.add_argument("vectors")
    ap.add_argument("answers")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=128)
    ap.add_argument("--ef", type=int, action="append")
    ap.add_argument("--nprobe", type=int, action="append", help="faiss-ivf: lists probed (its sweep instead of --ef)")
    ap.add_argument("--peers", default="hnswlib,faiss-flat,faiss-sq8,faiss-ivf")
    ap.add_argument("--save-hnswlib", help="save the hnswlib index here (for --open-query)")
    a = ap.parse_args()
    efs = a.ef or [64, 128, 256]
    t0 = time.perf_counter()
    x = read_word2vec_bin(a.vectors)
    n, d = x.shape
    print(f"read {n} x {d} in {time.perf_counter() - t0:.1f} s; peak RSS {peak_mb():.0f} MB", flush=True)
    queries, truth = [], []
    with open(a.answers) as f:
        for line in f:
            ids = [int(v) for v in line.split()]
            queries.append(ids[0])
            truth.append(ids[1:])
    for peer in a.peers.split(","):
        before = peak_mb()
        t0 = time.perf_counter()
        if peer == "hnswlib":
            import hnswlib
            idx = hnswlib.Index(space="ip", dim=d)
            idx.init_index(max_elements=n, M=a.m, ef_construction=a.ef_construction, random_seed=1)
            idx.set_num_threads(a.threads)
            idx.add_items(x, np.arange(n))
            idx.set_num_threads(1)
            if a.save_hnswlib:
                idx.save_index(a.save_hnswlib)
            set_ef = idx.set_ef
            search = lambda q, ef: idx.knn_query(x[q:q + 1], k=11)[0][0]
        elif peer == "faiss-ivf":
            import faiss
            faiss.omp_set_num_threads(a.threads)
            nlist = 1 << max(4, int(round(np.log2(4 * np.sqrt(n)))))  # about 4 sqrt(N), as the retired IVF
            quant = faiss.IndexFlatIP(d)
            idx = faiss.IndexIVFFlat(quant, d, nlist, faiss.METRIC_INNER_PRODUCT)
            idx.cp.seed = 1
            idx.train(x[np.random.default_rng(1).permutation(n)[: min(n, 64 * nlist)]])
            idx.add(x)
            faiss.omp_set_num_threads(1)
            print(f"faiss-ivf: {nlist} lists", flush=True)

            def set_ef(nprobe, idx=idx):
                idx.nprobe = nprobe

            search = lambda q, ef, idx=idx: idx.search(x[q:q + 1], 11)[1][0]
        else:
            import faiss
            faiss.omp_set_num_threads(a.threads)
            if peer == "faiss-flat":
                idx = faiss.IndexHNSWFlat(d, a.m, faiss.METRIC_INNER_PRODUCT)
            else:
                idx = faiss.IndexHNSWSQ(d, faiss.ScalarQuantizer.QT_8bit, a.m, faiss.METRIC_INNER_PRODUCT)
                idx.train(x[: min(n, 100000)])
            idx.hnsw.efConstruction = a.ef_construction
            idx.add(x)
            faiss.omp_set_num_threads(1)

            def set_ef(ef, idx=idx):
                idx.hnsw.efSearch = ef

            search = lambda q, ef, idx=idx: idx.search(x[q:q + 1], 11)[1][0]
        built = time.perf_counter() - t0
        print(f"{peer}: built in {built:.1f} s on {a.threads} threads; peak RSS +{peak_mb() - before:.0f} MB "
              f"(vectors {x.nbytes / 1e6:.0f} MB)", flush=True)
        measure(peer, search, queries, truth, (a.nprobe or [16, 64, 256]) if peer == "faiss-ivf" else efs, set_ef)
        del idx


if __name__ == "__main__":
    sys.exit(main())
