#!/usr/bin/env bash
# Installs the Debian packages Latent Studio needs to build, run and test.
# Idempotent: packages already installed are left alone, and it says what it installs.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libeigen3-dev nlohmann-json3-dev libstb-dev libcli11-dev zlib1g-dev libdeflate-dev
  libopenblas-dev liblapack-dev
  libtorch-dev python3-torch python3-pil
  libglfw3-dev libepoxy-dev libgl-dev libfreetype-dev fonts-dejavu-core
  librtmidi-dev liblo-dev jackd2
  libgtest-dev libbenchmark-dev
  libgtk-3-dev
  xvfb xauth libgl1-mesa-dri xdotool
  ffmpeg
  clang-14 libclang-rt-14-dev
  dataset-fashion-mnist
)
if [[ "${LATENT_BENCH_DEPS:-0}" == 1 ]]; then
  PACKAGES+=(python3-numpy python3-sklearn python3-gensim umap-learn time)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} Debian packages are present"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing Debian packages: ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
