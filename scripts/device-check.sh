#!/usr/bin/env bash
# The CUDA check (docs/benchmarks.md, "CUDA check"): on a machine with an NVIDIA GPU and a
# PyTorch 2.x install, in one run of a few minutes:
#   1. builds latent_core, latent_torch and the CLI (no GUI) against that PyTorch's LibTorch
#      (torch.utils.cmake_prefix_path);
#   2. runs the LibTorch tests (test_torch, test_storyteller) with LATENT_TEST_DEVICE=cuda;
#   3. times `latent bench` on the shipped DCGAN at batch 1 and 64 on CUDA and on the CPU,
#      and one short epoch of each trainer (VAE, DCGAN, skip-thought) on CUDA;
#   4. prints one Markdown table (also written to $OUT/device-check.md when $OUT is set).
#
# Usage: scripts/device-check.sh [BUILD_DIR]        (default build-device)
# Environment:
#   PYTHON               the Python whose torch to build against (default python3)
#   LATENT_DEVICE_DEPS   a folder of unpacked Debian packages for a machine without them
#                        (made here by `scripts/device-check.sh --pack-deps DIR`): Eigen,
#                        nlohmann-json, stb, CLI11, GoogleTest, OpenBLAS, LAPACK, zlib,
#                        libdeflate, pkg-config's .pc files
#   JOBS                 parallel compile jobs (default: nproc)
#   DEVICE               cuda (default) or cpu (a dry run of the whole script on a CPU machine)
#   SKIP_BUILD=1         use BUILD_DIR as it is (a dry run over an existing build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [[ "${1:-}" == "--pack-deps" ]]; then
  # Run on a Debian machine with the network to its archive: downloads and unpacks the
  # header and library packages the build needs into DIR (about 60 MB), to carry along.
  DIR=$(realpath -m "${2:?--pack-deps DIR}")
  mkdir -p "$DIR/debs"
  (cd "$DIR/debs" && apt-get download libeigen3-dev nlohmann-json3-dev libstb-dev libstb0 libcli11-dev \
      libgtest-dev googletest libopenblas-dev libopenblas0 libopenblas0-pthread libopenblas-pthread-dev \
      liblapack-dev liblapack3 libblas3 libblas-dev libgfortran5 zlib1g-dev libdeflate-dev libdeflate0 pkgconf \
      libpkgconf3 pkgconf-bin)
  for d in "$DIR"/debs/*.deb; do dpkg-deb -x "$d" "$DIR"; done
  echo "unpacked into $DIR; carry it and set LATENT_DEVICE_DEPS=$DIR"
  exit 0
fi

BUILD=${1:-build-device}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
JOBS=${JOBS:-$(nproc)}
T0=$(date +%s)
say() { echo "device-check [$(( $(date +%s) - T0 )) s]: $*" >&2; }

TORCH_PREFIX=$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)')
TORCH_VERSION=$("$PYTHON" -c 'import torch; print(torch.__version__)')
CUDA_OK=$("$PYTHON" -c 'import torch; print(int(torch.cuda.is_available()))')
GPU=$("$PYTHON" -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")')
say "PyTorch $TORCH_VERSION at $TORCH_PREFIX; CUDA available: $CUDA_OK ($GPU); device $DEVICE"
if [[ "$DEVICE" == cuda && "$CUDA_OK" != 1 ]]; then
  say "no usable CUDA GPU here: run with DEVICE=cpu for a dry run"
  exit 2
fi

PREFIXES="$TORCH_PREFIX"
if [[ -n "${LATENT_DEVICE_DEPS:-}" ]]; then
  D=$(realpath "$LATENT_DEVICE_DEPS")
  PREFIXES="$PREFIXES;$D/usr"
  export PATH="$D/usr/bin:$PATH"
  export PKG_CONFIG_PATH="$D/usr/lib/x86_64-linux-gnu/pkgconfig:$D/usr/share/pkgconfig:${PKG_CONFIG_PATH:-}"
  export PKG_CONFIG_SYSROOT_DIR="$D"
  export LD_LIBRARY_PATH="$D/usr/lib/x86_64-linux-gnu:$D/usr/lib/x86_64-linux-gnu/openblas-pthread:${LD_LIBRARY_PATH:-}"
  export CPATH="$D/usr/include:$D/usr/include/eigen3:${CPATH:-}"
  export LIBRARY_PATH="$D/usr/lib/x86_64-linux-gnu:$D/usr/lib/x86_64-linux-gnu/openblas-pthread:${LIBRARY_PATH:-}"
fi

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
say "configuring $BUILD"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLATENT_BUILD_APP=OFF -DCMAKE_PREFIX_PATH="$PREFIXES" \
  > "$BUILD.configure.log" 2>&1 || { tail -30 "$BUILD.configure.log"; exit 1; }
say "building latent, latent_torch_cli, test_torch, test_storyteller ($JOBS jobs)"
cmake --build "$BUILD" -j"$JOBS" --target latent latent_torch_cli test_torch test_storyteller \
  > "$BUILD.build.log" 2>&1 || { grep -m20 -E "error|Error" "$BUILD.build.log"; exit 1; }
fi
BUILD_S=$(( $(date +%s) - T0 ))
LATENT="$BUILD/latent"
rows=()
row() { rows+=("| $1 | $2 | $3 |"); }
row "build (core, LibTorch backends, CLI, 2 test programs)" "$BUILD_S s" "LibTorch $TORCH_VERSION"

# 2. The LibTorch tests, the device preference set to $DEVICE (each test program reads it).
for t in test_torch test_storyteller; do
  s=$(date +%s)
  if LATENT_TEST_DEVICE=$DEVICE "$BUILD/tests/$t" > "$BUILD.$t.log" 2>&1; then res=passed; else res=FAILED; fi
  summary=$(grep -E "^\[  (PASSED|FAILED)  \]" "$BUILD.$t.log" | head -2 | tr '\n' ' ')
  row "$t on $DEVICE" "$(( $(date +%s) - s )) s" "$res: $summary"
  say "$t: $res"
done

# 3. Decoding: the shipped DCGAN at batch 1 and 64, on the device and on the CPU.
DEVICES="$DEVICE cpu"
[[ "$DEVICE" == cpu ]] && DEVICES=cpu
for dev in $DEVICES; do
  for b in 1 64; do
    j=$("$LATENT" --device "$dev" bench models/celeba-dcgan --batch "$b" --iters 30 --json 2>/dev/null || echo '{}')
    row "bench celeba-dcgan, batch $b, $dev" \
      "$("$PYTHON" -c 'import json,sys; j=json.loads(sys.argv[1] or "{}"); print("%.2f ms median, %.2f p90" % (j.get("median_ms", float("nan")), j.get("p90_ms", float("nan"))))' "$j")" \
      "$("$PYTHON" -c 'import json,sys; j=json.loads(sys.argv[1] or "{}"); print("%.0f images/s on %s" % (j.get("images_per_s", float("nan")), j.get("device", "?")))' "$j")"
  done
done

# One short epoch of each trainer on the device (limits keep it to seconds).
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DATA=${LATENT_DATA_DIR:-$ROOT/../shared/data}
FASHION=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
IMAGES=""
[[ -e "$FASHION" ]] && IMAGES=$FASHION
[[ -z "$IMAGES" && -d "$DATA/faces/celeba" ]] && IMAGES=$DATA/faces/celeba
if [[ -z "$IMAGES" ]]; then  # no dataset on this machine: a small generated one
  "$PYTHON" - "$TMP/idx" <<'EOF'
import struct, sys, random
random.seed(0)
n, h, w = 2048, 28, 28
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, n, h, w))
    f.write(bytes(random.getrandbits(8) for _ in range(n * h * w)))
EOF
  IMAGES=$TMP/idx
fi
for kind in vae dcgan; do
  s=$(date +%s.%N)
  if "$LATENT" --device "$DEVICE" train "$kind" "$IMAGES" --limit 2048 --epochs 1 --batch 64 --out "$TMP/$kind" \
      > "$TMP/$kind.log" 2>&1; then
    ips=$(grep -o "trained 1 epochs at [0-9.]* images/s" "$TMP/$kind.log" | grep -o "[0-9.]* images/s" || echo "?")
    row "train $kind, 1 epoch of 2048 images, $DEVICE" "$("$PYTHON" -c "import time; print('%.1f s' % (time.time() - $s))")" "$ips"
  else
    row "train $kind, 1 epoch of 2048 images, $DEVICE" "-" "FAILED: $(tail -1 "$TMP/$kind.log")"
  fi
done
BOOKS=$DATA/text/novels
if [[ -d "$BOOKS" ]]; then
  s=$(date +%s.%N)
  if "$LATENT" --device "$DEVICE" train skipthought "$BOOKS" --epochs 1 --epoch-sentences 4096 --vocab 4000 \
      --heldout 200 --out "$TMP/st" > "$TMP/st.log" 2>&1; then
    sps=$(grep -o "at [0-9.]* sentences/s" "$TMP/st.log" | tail -1 || echo "?")
    row "train skipthought, 4096 sentences, $DEVICE" "$("$PYTHON" -c "import time; print('%.1f s' % (time.time() - $s))")" "$sps"
  else
    row "train skipthought, 4096 sentences, $DEVICE" "-" "FAILED: $(tail -1 "$TMP/st.log")"
  fi
else
  row "train skipthought" "-" "skipped: no books at $BOOKS"
fi

{
  echo "## CUDA check: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "GPU: $GPU; PyTorch $TORCH_VERSION; $(nproc) CPU cores; device $DEVICE; total $(( $(date +%s) - T0 )) s"
  echo
  echo "| step | time | result |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "${OUT:-$TMP}/device-check.md"
