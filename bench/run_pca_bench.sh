#!/usr/bin/env bash
# Runs the PCA-fit benchmark and its peers on the same data, one after the other
# (never concurrently: each has the BLAS thread pool and both cores to itself), then
# prints one table. Ours and the peers alternate for PCA_ROUNDS rounds and each
# method's median is taken over all its timed runs, so that load from other work on
# a shared machine falls on both sides alike.
#
#   bench/run_pca_bench.sh BUILD_DIR
#
# BUILD_DIR holds bench/bench_pca_fit (configure with -DLATENT_BUILD_BENCH=ON).
# Environment:
#   LATENT_FASHION_MNIST  the train-images IDX .gz (default: Debian's dataset-fashion-mnist)
#   PCA_ROUNDS            alternating rounds (default 2)
#   PCA_REPS              timed runs per round of ours and the fast peers (default 5)
#   PCA_FULL_REPS         timed runs per round of sklearn's full solver (default 2)
#   PYTHON                default /usr/bin/python3 (Debian's, with python3-sklearn)
# BLAS settings (OPENBLAS_NUM_THREADS, OPENBLAS_CORETYPE, ...) pass through unchanged.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
BUILD=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$BUILD/bench/bench_pca_fit
PY=${PYTHON:-/usr/bin/python3}
DATA=${LATENT_FASHION_MNIST:-/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz}
ROUNDS=${PCA_ROUNDS:-2}
REPS=${PCA_REPS:-5}
FULL_REPS=${PCA_FULL_REPS:-2}

[[ -x $BIN ]] || { echo "$0: $BIN not found (build the bench_pca_fit target)" >&2; exit 1; }
[[ -f $DATA ]] || { echo "$0: $DATA not found (install dataset-fashion-mnist or set LATENT_FASHION_MNIST)" >&2; exit 1; }
"$PY" -c 'import numpy, sklearn' 2>/dev/null ||
  { echo "$0: $PY lacks numpy/scikit-learn (apt-get install python3-numpy python3-sklearn)" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for ((r = 1; r <= ROUNDS; r++)); do
  echo "== round $r/$ROUNDS: ours, $BIN (PcaSpace::fit, float32)" >&2
  "$BIN" --pca_data="$DATA" --benchmark_repetitions="$REPS" \
    --benchmark_out="$TMP/ours.$r.json" --benchmark_out_format=json >&2
  echo "== round $r/$ROUNDS: peers, $PY bench/pca_peers.py" >&2
  exact_flag=()
  [[ $r -eq 1 ]] || exact_flag=(--no-exact)
  "$PY" "$HERE/pca_peers.py" --data "$DATA" --json --repeats "$REPS" \
    --full-repeats "$FULL_REPS" "${exact_flag[@]}" > "$TMP/peers.$r.json"
done

"$PY" - "$TMP" "$ROUNDS" <<'PYEOF'
import json, statistics, sys

tmp, rounds = sys.argv[1], int(sys.argv[2])
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
ours_times, peer_times, peer_frac, peer_dtype = [], {}, {}, {}
for r in range(1, rounds + 1):
    doc = json.load(open(f"{tmp}/ours.{r}.json"))
    runs = [b for b in doc["benchmarks"] if b.get("run_type") == "iteration"]
    ours_times += [b["real_time"] * scale[b.get("time_unit", "ns")] for b in runs]
    ours_frac = runs[-1]["explained_fraction"]
    captured = runs[-1].get("captured_fraction", float("nan"))
    ctx = doc.get("context", {})
    p = json.load(open(f"{tmp}/peers.{r}.json"))
    if r == 1:
        peers = p
    for name, m in p["methods"].items():
        peer_times.setdefault(name, []).extend(m["times_s"])
        peer_frac[name], peer_dtype[name] = m["explained_fraction"], m["dtype"]

exact = peers["exact_fraction"]
ours_s = statistics.median(ours_times)
rows = [("ours (PcaSpace::fit)", "float32", ours_s, len(ours_times), ours_frac)]
for name, ts in peer_times.items():
    rows.append((name, peer_dtype[name], statistics.median(ts), len(ts), peer_frac[name]))

print(f"PCA fit: {peers['n']} x {peers['d']} -> {peers['components']} components "
      f"({peers['data']}); {ctx.get('num_cpus', '?')} CPUs; numpy {peers['numpy']}, "
      f"scikit-learn {peers['sklearn']}; {rounds} alternating round(s)")
print(f"exact explained-variance fraction (float64 covariance + eigh): {exact:.6f}")
print(f"variance captured by our components (float64 check):           {captured:.6f}")
print()
print(f"| {'method':20s} | {'dtype':7s} | {'runs':>4s} | {'median s':>8s} | {'time / ours':>11s} | {'explained':>9s} | {'rel. dev. from exact':>20s} |")
print(f"|{'-'*22}|{'-'*9}|{'-'*5}:|{'-'*9}:|{'-'*12}:|{'-'*10}:|{'-'*21}:|")
for name, dtype, t, runs, frac in rows:
    print(f"| {name:20s} | {dtype:7s} | {runs:4d} | {t:8.3f} | {t / ours_s:11.2f} | {frac:9.6f} | {(frac - exact) / exact:+20.2e} |")
print()

times = {name: t for name, _, t, _, _ in rows}
ok = True
def check(label, value, limit):
    global ok
    good = value <= limit
    ok &= good
    print(f"{label:36s} {value:7.3f}   (target <= {limit:g}: {'met' if good else 'MISSED'})")
if "numpy-cov-eigh" in times:
    check("ours / numpy-cov-eigh", ours_s / times["numpy-cov-eigh"], 1.0)
if "sklearn-randomized" in times:
    check("ours / sklearn-randomized", ours_s / times["sklearn-randomized"], 0.25)
if "sklearn-full" in times:
    print(f"{'ours / sklearn-full':36s} {ours_s / times['sklearn-full']:7.3f}")
dev = abs(ours_frac - exact) / exact
good = dev <= 1e-3
ok &= good
print(f"{'|ours explained - exact| / exact':36s} {dev:7.1e}   (target <= 1e-3: {'met' if good else 'MISSED'})")
print("all targets met" if ok else "SOME TARGETS MISSED")
PYEOF
