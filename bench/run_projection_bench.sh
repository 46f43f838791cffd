#!/usr/bin/env bash
# Runs the projection benchmark and its peers on the same data, one after the other (never
# concurrently: each side has both cores to itself), then prints one table with ratios.
#
#   bench/run_projection_bench.sh BUILD_DIR
#
# BUILD_DIR holds bench/bench_projection (configure with -DLATENT_BUILD_BENCH=ON).
# Per round: ours (bench_projection: t-SNE and UMAP-style on 10,000 images, raw 784-D and
# PCA-64 encodings, and a PCA map of 50,000), then the peers (bench/projection_peers.py:
# scikit-learn's TSNE and umap-learn on the same two inputs). Times are medians over the
# rounds. The metrics (trustworthiness, exact t-SNE KL divergence) are computed once, by
# the same Python code for ours and the peers' layouts of the first round.
# Environment:
#   PROJ_ROUNDS           rounds (default 1; a round takes about 6 minutes on 2 cores)
#   PROJ_N, PROJ_PCA_N    images for t-SNE/UMAP (10000) and for the PCA map (50000)
#   PROJ_SEED             seed of both sides (default 1)
#   PROJ_OUT              keep the layouts (.npy) and JSON results in this folder
#   LATENT_FASHION_MNIST  the train-images IDX .gz (default: Debian's dataset-fashion-mnist)
#   PYTHON                default /usr/bin/python3 (Debian's, with python3-sklearn and umap-learn)
# BLAS settings (OPENBLAS_NUM_THREADS, ...) pass through unchanged.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
BUILD=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$BUILD/bench/bench_projection
PY=${PYTHON:-/usr/bin/python3}
DATA=${LATENT_FASHION_MNIST:-/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz}
ROUNDS=${PROJ_ROUNDS:-1}
N=${PROJ_N:-10000}
PCA_N=${PROJ_PCA_N:-50000}
SEED=${PROJ_SEED:-1}

[[ -x $BIN ]] || { echo "$0: $BIN not found (build the bench_projection target)" >&2; exit 1; }
[[ -f $DATA ]] || { echo "$0: $DATA not found (install dataset-fashion-mnist or set LATENT_FASHION_MNIST)" >&2; exit 1; }
"$PY" -c 'import numpy, sklearn, umap' 2>/dev/null ||
  { echo "$0: $PY lacks numpy/scikit-learn/umap-learn (apt-get install python3-sklearn umap-learn)" >&2; exit 1; }

if [[ -n ${PROJ_OUT:-} ]]; then
  OUT=$PROJ_OUT
  mkdir -p "$OUT"
else
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi

for ((r = 1; r <= ROUNDS; r++)); do
  mkdir -p "$OUT/r$r"
  echo "== round $r/$ROUNDS: ours, $BIN" >&2
  "$BIN" --data "$DATA" --out "$OUT/r$r" --n "$N" --pca-n "$PCA_N" --seed "$SEED" >&2
  echo "== round $r/$ROUNDS: peers, $PY bench/projection_peers.py" >&2
  metrics=()
  [[ $r -eq 1 ]] || metrics=(--no-metrics)
  "$PY" "$HERE/projection_peers.py" --data "$DATA" --n "$N" --seed "$SEED" \
    --encodings "$OUT/r1/pca64_$N.npy" --ours-dir "$OUT/r$r" "${metrics[@]}" > "$OUT/r$r/peers.json"
done

"$PY" - "$OUT" "$ROUNDS" <<'PYEOF'
import json, os, statistics, sys

out, rounds = sys.argv[1], int(sys.argv[2])
ours = [json.load(open(f"{out}/r{r}/ours.json")) for r in range(1, rounds + 1)]
peers = [json.load(open(f"{out}/r{r}/peers.json")) for r in range(1, rounds + 1)]
met = peers[0]["metrics"]
med = statistics.median

def ours_t(key):
    return med([o["times_s"][key] for o in ours])

def peer_t(key, field="time_s"):
    vals = [p["peers"][key][field] for p in peers if field in p["peers"].get(key, {})]
    return med(vals) if vals else float("nan")

p0 = peers[0]
print(f"Projections of {p0['n']} Fashion-MNIST images ({os.path.basename(p0['data'])}), seed {p0['seed']}; "
      f"{os.cpu_count()} CPUs; numpy {p0['numpy']}, scikit-learn {p0['sklearn']}, umap-learn {p0.get('umap', '?')}; "
      f"{rounds} round(s), times are medians")
print()
print("| map | input | ours s | peer s | ours / peer | trust@10 ours | trust@10 peer | KL ours (exact) | KL peer (exact) | KL ratio | peer's kl_divergence_ |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
ok = True
checks = []
for method, peer_name in (("tsne", "sklearn TSNE"), ("umap", "umap-learn (steady)")):
    for inp in ("raw", "pca64"):
        key = f"{method}_{inp}"
        o, p = ours_t(key), peer_t(key)
        mo, mp = met.get(f"ours_{key}", {}), met.get(f"peer_{key}", {})
        to, tp = mo.get("trust10", float("nan")), mp.get("trust10", float("nan"))
        if method == "tsne":
            ko, kp = mo.get("kl_exact", float("nan")), mp.get("kl_exact", float("nan"))
            kb = peer_t(key, "kl_divergence_")
            kl = f"{ko:.4f} | {kp:.4f} | {ko / kp:.3f} | {kb:.4f}"
        else:
            kl = "– | – | – | –"
        label = "784-D" if inp == "raw" else "PCA-64"
        print(f"| {method} vs {peer_name} | {label} | {o:.2f} | {p:.2f} | {o / p:.3f} | {to:.4f} | {tp:.4f} | {kl} |")
        limit = 0.25 if method == "tsne" else 0.5
        checks.append((f"{method} {label}: time / peer", o / p, f"<= {limit}", o / p <= limit))
        checks.append((f"{method} {label}: trust ours - peer", to - tp, ">= -0.02", to - tp >= -0.02))
        if method == "tsne":
            checks.append((f"{method} {label}: KL ours / peer (exact)", ko / kp, "<= 1.1", ko / kp <= 1.1))
            checks.append((f"{method} {label}: KL ours (exact) / peer's kl_divergence_", ko / kb, "<= 1.1", ko / kb <= 1.1))
first = [p["peers"]["umap_raw"].get("first_run_s") for p in peers if "umap_raw" in p["peers"]]
if first and first[0] is not None:
    print(f"\numap-learn first run in a process (numba compilation included), raw: {med(first):.2f} s "
          f"(import {med([p.get('umap_import_s', float('nan')) for p in peers]):.2f} s)")
if any("pca64" in k and "trust10_vs_raw" in v for k, v in met.items()):
    print("trustworthiness of the PCA-64 maps against the raw 784-D images: "
          + ", ".join(f"{k} {v['trust10_vs_raw']:.4f}" for k, v in met.items() if "trust10_vs_raw" in v))
pca_keys = [k for k in ours[0]["times_s"] if k.startswith("pca_")]
for k in pca_keys:
    t = ours_t(k)
    print(f"PCA map of {k[4:]} x 784 (median of repeats): {t:.3f} s")
    checks.append((f"PCA map of {k[4:]}: seconds", t, "< 1", t < 1.0))
print()
for label, value, target, good in checks:
    ok &= good
    print(f"{label:58s} {value:8.4f}   (target {target}: {'met' if good else 'MISSED'})")
print("all targets met" if ok else "SOME TARGETS MISSED")
PYEOF
