#!/usr/bin/env bash
# Sentence spaces: our LibTorch skip-thought trainer and decoder vs the same network in
# PyTorch (bench/skipthought_peer.py, Debian's python3-torch), same data, same run,
# alternating rounds, one thread each.
#   1. training sentences/s: the skip-thought objective (reconstruct + previous + next,
#      neighbour weight 0.5) and the "small configuration" of issue #6 (the sentence
#      autoencoder: neighbour weight 0); embedding 256, GRU 512, 12k vocabulary, adaptive
#      softmax, batch 64, 25% captions; the 12 novels + COCO captions;
#      (PyTorch reads the books as `latent sentences --tokens` splits them);
#   2. encode (tokens included) and greedy-decode latency (ms per sentence, batch 1 and 64) of MODEL's
#      weights, loaded by `latent bench-text` and by the PyTorch module.
#   bench/run_story_bench.sh [BUILD_DIR] [MODEL]   (env ROUNDS=2, STEPS=30)
set -euo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODEL=${2:-$HERE/../models/storyteller}
PY=${PYTHON:-/usr/bin/python3}
ROUNDS=${ROUNDS:-2}
STEPS=${STEPS:-30}
DATA=${LATENT_DATA_DIR:-$HERE/../../shared/data}/text
LATENT=$BUILD/latent
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
"$PY" -c 'import torch' 2>/dev/null || { echo "$0: $PY lacks torch (apt-get install python3-torch)" >&2; exit 1; }

med() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
jq_get() { "$PY" -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

train_ours() {  # neighbour-weight -> sentences/s over the epoch (STEPS batches of 64)
  rm -rf "$TMP/train"
  "$LATENT" train skipthought "$DATA/novels" --captions "$DATA/captions/coco_captions_val2017.txt" --out "$TMP/train" \
    --epochs 1 --epoch-sentences $((STEPS * 64)) --heldout 20 --no-calibrate --neighbour-weight "$1" >/dev/null 2>&1
  "$PY" -c "import json; print(json.load(open('$TMP/train/model.json'))['metrics']['train_sentences_per_s'])"
}
# The vocabulary the peer uses: ours, made from the same files.
rm -rf "$TMP/vocab" && "$LATENT" train skipthought "$DATA/novels" --captions "$DATA/captions/coco_captions_val2017.txt" \
  --out "$TMP/vocab" --epochs 1 --epoch-sentences 64 --heldout 5 --no-calibrate >/dev/null 2>&1
"$LATENT" sentences "$DATA/novels" --tokens > "$TMP/book_tokens.txt"  # the very sentences ours trains on
"$LATENT" sentences "$DATA/captions/coco_captions_val2017.txt" --tokens > "$TMP/caption_tokens.txt"
train_py() {
  "$PY" "$HERE/skipthought_peer.py" train --book-tokens "$TMP/book_tokens.txt" --captions "$TMP/caption_tokens.txt" \
    --vocab "$TMP/vocab/vocab.tsv" --steps "$STEPS" --neighbour-weight "$1" | jq_get sentences_per_s
}
for r in $(seq "$ROUNDS"); do
  train_ours 0.5 >> "$TMP/ours_st"; train_py 0.5 >> "$TMP/py_st"
  train_ours 0 >> "$TMP/ours_ae"; train_py 0 >> "$TMP/py_ae"
done
echo "train skip-thought sentences/s: ours $(med < "$TMP/ours_st"), pytorch $(med < "$TMP/py_st")"
echo "train autoencoder (small configuration) sentences/s: ours $(med < "$TMP/ours_ae"), pytorch $(med < "$TMP/py_ae")"

if [[ -f $MODEL/model.json ]]; then
  head -2000 "$DATA/captions/coco_captions_val2017.txt" | tail -500 > "$TMP/sentences.txt"
  for r in $(seq "$ROUNDS"); do
    for b in 1 64; do
      it=$(( b == 1 ? 60 : 6 ))
      o=$("$LATENT" bench-text "$MODEL" "$TMP/sentences.txt" --batch $b --iters $it --json)
      p=$("$PY" "$HERE/skipthought_peer.py" latency --package "$MODEL" --sentences "$TMP/sentences.txt" --batch $b --iters $it)
      echo "$o" | jq_get encode_ms_per_sentence >> "$TMP/ours_enc$b"; echo "$p" | jq_get encode_ms_per_sentence >> "$TMP/py_enc$b"
      echo "$o" | jq_get greedy_decode_ms_per_sentence >> "$TMP/ours_dec$b"; echo "$p" | jq_get greedy_decode_ms_per_sentence >> "$TMP/py_dec$b"
    done
  done
  for b in 1 64; do
    echo "batch $b encode ms/sentence: ours $(med < "$TMP/ours_enc$b"), pytorch $(med < "$TMP/py_enc$b")"
    echo "batch $b greedy decode ms/sentence: ours $(med < "$TMP/ours_dec$b"), pytorch $(med < "$TMP/py_dec$b")"
  done
fi
