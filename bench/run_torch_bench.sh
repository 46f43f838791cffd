#!/usr/bin/env bash
# Neural image spaces: our LibTorch core vs PyTorch (Debian's python3-torch, the same
# LibTorch release) on the same files and data, in the same run, alternating rounds.
#   1. decode latency (batch 1) and throughput (batch 64) of the pytorch/examples DCGAN
#      generator (3.6 M parameters) exported as TorchScript, opened by `latent bench`
#      and by torch.jit.load;
#   2. training images/s of the same DCGAN and VAE architectures on CelebA 64x64
#      (and the DCGAN at 32x32 on Fashion-MNIST).
# One intra-op thread on both sides. Prints JSON lines and a summary of ratios
# (ours / PyTorch for times, ours / PyTorch for images/s).
#   bench/run_torch_bench.sh [BUILD_DIR]   (env ROUNDS=2, TRAIN_STEPS=20)
set -euo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=${PYTHON:-/usr/bin/python3}
ROUNDS=${ROUNDS:-2}
STEPS=${TRAIN_STEPS:-20}
DATA=${LATENT_DATA_DIR:-$HERE/../../shared/data}/faces/celeba/images64
FASHION=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
LATENT=$BUILD/latent
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export OMP_NUM_THREADS=1
"$PY" -c 'import torch' 2>/dev/null || { echo "$0: $PY lacks torch (apt-get install python3-torch)" >&2; exit 1; }

"$PY" "$HERE/torch_peers.py" export-dcgan64 "$TMP/dcgan64.pt" >/dev/null
"$LATENT" import-torchscript "$TMP/dcgan64.pt" --latent 100 --shape 3,64,64 --range -1,1 --z-shape 4d \
  --out "$TMP/dcgan64" >/dev/null 2>&1

med() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
jq_get() { "$PY" -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

for r in $(seq "$ROUNDS"); do
  "$LATENT" bench "$TMP/dcgan64" --batch 1 --iters 200 --warmup 10 --json | jq_get median_ms >> "$TMP/ours_b1"
  "$PY" "$HERE/torch_peers.py" decode --model "$TMP/dcgan64.pt" --z-shape 4d --latent 100 --batch 1 --iters 200 --warmup 10 | jq_get median_ms >> "$TMP/py_b1"
  "$LATENT" bench "$TMP/dcgan64" --batch 64 --iters 10 --warmup 2 --json | jq_get images_per_s >> "$TMP/ours_b64"
  "$PY" "$HERE/torch_peers.py" decode --model "$TMP/dcgan64.pt" --z-shape 4d --latent 100 --batch 64 --iters 10 --warmup 2 | jq_get images_per_s >> "$TMP/py_b64"
done
echo "decode batch 1 median ms: ours $(med < "$TMP/ours_b1"), pytorch $(med < "$TMP/py_b1")"
echo "decode batch 64 images/s: ours $(med < "$TMP/ours_b64"), pytorch $(med < "$TMP/py_b64")"

# Training: ours runs one epoch over (STEPS + 3) batches and reports images/s over all of
# it (its first steps included); PyTorch times STEPS steps after 3 warm-up steps.
train_ours() {  # kind data size channels width extra...
  local kind=$1 data=$2 size=$3 ch=$4 width=$5; shift 5
  rm -rf "$TMP/train"
  "$LATENT" train "$kind" "$data" --out "$TMP/train" --epochs 1 --batch 64 --limit $(((STEPS + 3) * 64)) \
     --size "$size" --channels "$ch" --width "$width" --holdout 0 --flip off "$@" 2>&1 | grep -o '[0-9.]* images/s' | tail -1 | cut -d' ' -f1
}
for r in $(seq "$ROUNDS"); do
  train_ours dcgan "$DATA" 64 3 32 --latent 100 >> "$TMP/ours_dc64"
  "$PY" "$HERE/torch_peers.py" train-dcgan --data "$DATA" --size 64 --channels 3 --ngf 32 --ndf 32 --batch 64 --steps "$STEPS" --limit $(((STEPS + 3) * 64)) | jq_get images_per_s >> "$TMP/py_dc64"
  train_ours vae "$DATA" 64 3 32 --latent 128 >> "$TMP/ours_vae"
  "$PY" "$HERE/torch_peers.py" train-vae --data "$DATA" --size 64 --channels 3 --width 32 --latent 128 --batch 64 --steps "$STEPS" --limit $(((STEPS + 3) * 64)) | jq_get images_per_s >> "$TMP/py_vae"
  if [[ -f $FASHION ]]; then
    train_ours dcgan "$FASHION" 32 1 32 --latent 100 >> "$TMP/ours_fm"
    "$PY" "$HERE/torch_peers.py" train-dcgan --data "$FASHION" --size 32 --channels 1 --ngf 32 --ndf 32 --batch 64 --steps "$STEPS" --limit $(((STEPS + 3) * 64)) | jq_get images_per_s >> "$TMP/py_fm"
  fi
done
echo "train dcgan celeba 64 w32 images/s: ours $(med < "$TMP/ours_dc64"), pytorch $(med < "$TMP/py_dc64")"
echo "train vae celeba 64 w32 z128 images/s: ours $(med < "$TMP/ours_vae"), pytorch $(med < "$TMP/py_vae")"
[[ -f $TMP/ours_fm ]] && echo "train dcgan fashion 32 w32 images/s: ours $(med < "$TMP/ours_fm"), pytorch $(med < "$TMP/py_fm")"
"$PY" - "$TMP" <<'PY'
import statistics, sys, os
d = sys.argv[1]
def m(n):
    p = os.path.join(d, n)
    return statistics.median(float(x) for x in open(p)) if os.path.exists(p) else None
rows = [("decode batch 1 latency (ours/pytorch, lower is better)", m("ours_b1"), m("py_b1")),
        ("decode batch 64 images/s (ours/pytorch)", m("ours_b64"), m("py_b64")),
        ("train DCGAN CelebA 64 images/s (ours/pytorch)", m("ours_dc64"), m("py_dc64")),
        ("train VAE CelebA 64 images/s (ours/pytorch)", m("ours_vae"), m("py_vae")),
        ("train DCGAN Fashion 32 images/s (ours/pytorch)", m("ours_fm"), m("py_fm"))]
for name, a, b in rows:
    if a is not None and b:
        print(f"ratio {name}: {a / b:.3f}")
PY
