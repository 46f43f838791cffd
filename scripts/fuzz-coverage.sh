#!/usr/bin/env bash
# Branch coverage of the loaders and serializers reached by the fuzz corpora (the seeds in
# tests/fuzz/corpus and what a fuzzing run grew in FUZZ_BUILD/fuzz-corpus), with clang's
# source-based coverage: per file (llvm-cov report), then per loader (fuzz-coverage-loaders.py).
#   scripts/fuzz-coverage.sh [COV_BUILD=build-cov] [FUZZ_BUILD=build-fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
COV=${1:-build-cov}
FUZZ=${2:-build-fuzz}
CC=clang-14 CXX=clang++-14 cmake -S . -B "$COV" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATENT_FUZZ=ON \
  -DLATENT_BUILD_TESTS=OFF -DLATENT_BUILD_APP=OFF \
  -DCMAKE_CXX_FLAGS="-fprofile-instr-generate -fcoverage-mapping" \
  -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" > /dev/null
cmake --build "$COV" -j"${JOBS:-1}" --target fuzz_all
rm -rf "$COV/profiles" && mkdir -p "$COV/profiles"
objects=()
for bin in "$COV"/tests/fuzz/fuzz_*; do
  [[ -x $bin && -f $bin ]] || continue
  t=${bin##*/fuzz_}
  dirs=("tests/fuzz/corpus/$t")
  [[ -d $FUZZ/fuzz-corpus/$t ]] && dirs+=("$FUZZ/fuzz-corpus/$t")
  LLVM_PROFILE_FILE="$COV/profiles/$t.profraw" "$bin" -runs=0 "${dirs[@]}" > "$COV/profiles/$t.log" 2>&1
  objects+=(-object "$bin")
done
llvm-profdata-14 merge -sparse "$COV"/profiles/*.profraw -o "$COV/profiles/all.profdata"
files=(src/core/json_file.cpp src/core/session.cpp src/core/walk.cpp src/core/dataset.cpp src/core/image_io.cpp
       src/core/model_package.cpp src/core/pca_space.cpp src/core/word_vectors.cpp src/core/expression.cpp
       src/core/latent_io.cpp src/core/pt_check.cpp src/core/file_ops.cpp)
llvm-cov-14 report -instr-profile="$COV/profiles/all.profdata" "${objects[@]:1}" "${files[@]}" \
  -show-region-summary=false -show-instantiation-summary=false | tee "$COV/coverage.txt"
# Per loader: the branches of the loader and serializer functions only (the table in
# docs/reliability.md; the functions are listed in fuzz-coverage-loaders.py).
llvm-cov-14 export -format=text -instr-profile="$COV/profiles/all.profdata" "${objects[@]:1}" "${files[@]}" \
  > "$COV/coverage.json" 2> "$COV/coverage-export.log"
scripts/fuzz-coverage-loaders.py "$COV/coverage.json" | tee "$COV/coverage-loaders.md"
