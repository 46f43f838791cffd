#!/usr/bin/env bash
# Before/after pairs for docs/storyteller.md: the first caption of each CC BY COCO image
# (images the model never saw; their captions are not in its training captions), decoded
# at strength 0 (the caption's own thought) and at the style's calibrated strength, with
# novel-likeness and the share of the caption's content words kept. Prints Markdown.
#   scripts/story-samples.sh [MODEL] [N] [METHOD]   (defaults: models/storyteller 20 beam)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODEL=${1:-$HERE/../models/storyteller}
N=${2:-20}
METHOD=${3:-beam}
LATENT=${LATENT:-$HERE/../build/latent}
PY=${PYTHON:-/usr/bin/python3}
CAPS=${LATENT_DATA_DIR:-$HERE/../../shared/data}/text/captions/coco_mini_cc_by/captions.tsv
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

"$PY" - "$CAPS" "$N" <<'EOF' > /tmp/story-samples-captions.txt
import sys
seen, out = set(), []
for line in open(sys.argv[1], encoding="utf-8").read().splitlines()[1:]:
    image, _, caption = line.split("\t", 2)
    if image not in seen:
        seen.add(image)
        out.append(caption.strip())
print("\n".join(out[: int(sys.argv[2])]))
EOF

echo "| # | caption | strength 0 (the caption's thought) | calibrated strength | novel-likeness 0 → s | content kept 0 → s |"
echo "|---|---|---|---|---|---|"
i=0
sum0=0; sums=0; kept0=0; kepts=0
while IFS= read -r cap; do
  i=$((i + 1))
  a=$("$LATENT" story "$MODEL" -c "$cap" --strength 0 --sentences 1 --method "$METHOD" --json)
  b=$("$LATENT" story "$MODEL" -c "$cap" --sentences 1 --method "$METHOD" --json)
  "$PY" - "$i" "$cap" "$a" "$b" <<'EOF'
import json, sys
i, cap, a, b = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
esc = lambda s: s.replace("|", "\\|")
print(f"| {i} | {esc(cap)} | {esc(a['text'])} | {esc(b['text'])} (s = {b['strength']:.2f}) | "
      f"{a['novel_likeness_first_sentence']:+.2f} → {b['novel_likeness_first_sentence']:+.2f} | "
      f"{a['content_kept_first_sentence']:.2f} → {b['content_kept_first_sentence']:.2f} |")
with open("/tmp/story-samples-sums.txt", "a") as f:
    f.write(f"{a['novel_likeness_first_sentence']} {b['novel_likeness_first_sentence']} "
            f"{a['content_kept_first_sentence']} {b['content_kept_first_sentence']}\n")
EOF
done < /tmp/story-samples-captions.txt
"$PY" - <<'EOF'
rows = [list(map(float, l.split())) for l in open("/tmp/story-samples-sums.txt")]
m = [sum(r[k] for r in rows) / len(rows) for k in range(4)]
print(f"\nMeans over {len(rows)} captions: novel-likeness {m[0]:+.2f} → {m[1]:+.2f}, content kept {m[2]:.2f} → {m[3]:.2f}, "
      f"{sum(r[1] >= 0 for r in rows)} of {len(rows)} restyled sentences at novel-likeness ≥ 0.")
EOF
rm -f /tmp/story-samples-sums.txt /tmp/story-samples-captions.txt
