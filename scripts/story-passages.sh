#!/usr/bin/env bash
# Passages for docs/storyteller.md: each caption of bench/story-captions.txt (written for
# this, in no training set) told as a 5-sentence passage at the default style's
# calibrated strength, with the plain chain ("before": each sentence from the last
# alone, no passage-wide rules) and with the passage decoding ("after": the defaults of
# `latent story`), by greedy and by beam 5. Prints the measures of `latent eval-text
# --passages` as a Markdown table, then the before/after pairs verbatim.
#   scripts/story-passages.sh [MODEL] [CAPTIONS] [SENTENCES]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODEL=${1:-$HERE/../models/storyteller}
CAPS=${2:-$HERE/../bench/story-captions.txt}
N=${3:-5}
LATENT=${LATENT:-$HERE/../build/latent}
PY=${PYTHON:-/usr/bin/python3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
PLAIN=(--passage-no-repeat 0 --allow-repeats --generic-penalty 0 --stock-share 0 --context 0 --keep-bonus 0 --keep-first 0)
for method in greedy beam; do
  "$LATENT" eval-text "$MODEL" "$CAPS" --passages --sentences "$N" --method "$method" "${PLAIN[@]}" --json > "$OUT/$method-before.json"
  "$LATENT" eval-text "$MODEL" "$CAPS" --passages --sentences "$N" --method "$method" --json > "$OUT/$method-after.json"
done
"$PY" - "$OUT" <<'PYEOF'
import json, sys, os
d = sys.argv[1]
runs = {k: json.load(open(os.path.join(d, k + ".json"))) for k in
        ("greedy-before", "greedy-after", "beam-before", "beam-after")}
print("| decoding | passage rules | sentences repeated in a passage | stock lines (in 3+ passages) | content kept: mean (min) | novel-likeness: mean (min) |")
print("|---|---|---|---|---|---|")
for k, r in runs.items():
    method, when = k.split("-")
    stock = len(r["stock_lines"])
    lines = "; ".join(f'"{s["sentence"]}" ×{s["passages"]}' for s in r["stock_lines"][:3])
    print(f'| {r["decoding"]} | {"plain chain" if when == "before" else "passage decoding"} | '
          f'{r["repeated_sentences"]} (in {r["passages_with_repeats"]} passages) | {stock}{" — " + lines if lines else ""} | '
          f'{r["content_kept"]:.2f} ({r["min_content_kept"]:.2f}) | {r["novel_likeness"]:+.2f} ({r["min_novel_likeness"]:+.2f}) |')
print(f'\nStyle {runs["beam-after"]["style"]} at strength {runs["beam-after"]["strength"]:.2f}.')
esc = lambda s: s.replace("|", "\\|")
for method in ("greedy", "beam"):
    b, a = runs[method + "-before"], runs[method + "-after"]
    print(f'\n#### {a["decoding"]}\n')
    print("| # | caption | before: plain chain | after: passage decoding |")
    print("|---|---|---|---|")
    for i, (pb, pa) in enumerate(zip(b["passages"], a["passages"]), 1):
        print(f'| {i} | {esc(pb["caption"])} | {esc(" ".join(pb["passage"]))} | {esc(" ".join(pa["passage"]))} |')
PYEOF
