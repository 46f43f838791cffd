#!/usr/bin/env bash
# The essay's DCGAN demo (Radford et al. 2015, fig. 7) on our CelebA generator:
#   mean(men with glasses) - mean(men without) + mean(women without)  -> women with glasses
#   mean(smiling women) - mean(neutral women) + mean(neutral men)      -> smiling men
# With an encoder (`latent train encoder`), each group's mean is taken over every face of
# the 10,000 whose labels match, the dataset encoded in one pass (N_PER_GROUP is then
# unused). Without one, the first N faces of each group are put into the space with
# `latent invert` (gradient descent, several restarts) and averaged, as Radford et al.
# averaged three samples per concept. Writes docs/celeba-dcgan-arithmetic.png (decoded
# group means: no CelebA photo is in it, as CelebA may not be redistributed).
#   scripts/essay-demo.sh [MODEL] [N_PER_GROUP] [BUILD_DIR]
set -euo pipefail
MODEL=${1:-models/celeba-dcgan}
N=${2:-16}
BUILD=${3:-build}
DATA=${LATENT_DATA_DIR:-../shared/data}/faces/celeba
LATENT="$BUILD/latent"
PYTHON=${PYTHON:-/usr/bin/python3}
# ESSAY_WORK=DIR keeps the inverted points there (and reuses them on the next run).
if [[ -n "${ESSAY_WORK:-}" ]]; then
  OUT=$ESSAY_WORK
  mkdir -p "$OUT"
else
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi
[[ -f "$DATA/labels.csv" ]] || { echo "essay-demo: no CelebA labels at $DATA (set LATENT_DATA_DIR)" >&2; exit 1; }

declare -A GROUP=(
  [glasses_men]="Eyeglasses=1 Male=1" [men]="Eyeglasses=0 Male=1" [women]="Eyeglasses=0 Male=0"
  [smiling_women]="Smiling=1 Male=0 Eyeglasses=0" [neutral_women]="Smiling=0 Male=0 Eyeglasses=0"
  [neutral_men]="Smiling=0 Male=1 Eyeglasses=0")
ORDER="glasses_men men women smiling_women neutral_women neutral_men"

if "$LATENT" info "$MODEL" | grep -q '^can:.*encode'; then
  # Every matching face, through the encoder: one arith per group, each encoding the
  # dataset in batches.
  for g in $ORDER; do
    [[ -f "$OUT/$g.json" ]] && { echo "$g: reusing $OUT/$g.json" >&2; continue; }
    query=$(echo "${GROUP[$g]}" | sed 's/ / \& /g')
    start=$(date +%s.%N)
    "$LATENT" arith "$MODEL" "mean(@g)" --data "$DATA/images64" --labels "$DATA/labels.csv" --group "g=$query" \
        --z-out "$OUT/$g.json" >/dev/null
    n=$(awk -F, -v conds="${GROUP[$g]}" '
      NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i; nc = split(conds, c, " "); next }
      { ok = 1; for (k = 1; k <= nc; ++k) { split(c[k], kv, "="); if ($(col[kv[1]]) != kv[2]) ok = 0 } n += ok }
      END { print n }' "$DATA/labels.csv")
    printf '%s: mean of %s faces by the encoder (%.1f s, whole process)\n' "$g" "$n" \
        "$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }')" >&2
  done
else
# The first N images (in id order) whose labels match: awk over labels.csv by column name.
pick() {  # pick NAME 'Col=v' ['Col=v' ...]
  local name=$1; shift
  awk -F, -v n="$N" -v conds="$*" '
    NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i; nc = split(conds, c, " "); next }
    { ok = 1
      for (k = 1; k <= nc; ++k) { split(c[k], kv, "="); if ($(col[kv[1]]) != kv[2]) ok = 0 }
      if (ok && got < n) { print $2; ++got } }' "$DATA/labels.csv" | sed "s|^|$DATA/images64/|" > "$OUT/$name.txt"
  echo "$name: $(wc -l < "$OUT/$name.txt") images ($*)" >&2
}
# shellcheck disable=SC2086
for g in $ORDER; do pick "$g" ${GROUP[$g]}; done

for g in $ORDER; do
  [[ -f "$OUT/$g.json" && -f "$OUT/$g.log" ]] && { echo "$g: reusing $OUT/$g.json" >&2; continue; }
  # shellcheck disable=SC2046
  "$LATENT" invert "$MODEL" $(cat "$OUT/$g.txt") --steps 300 --restarts 4 --seed 1 \
      --out "$OUT/$g.json" --recon "$OUT/$g-recon.png" >/dev/null 2> "$OUT/$g.log"
  grep -h "start(s): mse" "$OUT/$g.log" | awk '{ s += $(NF-2) } END { printf "%s: mean inversion mse %.4f over %d faces\n", g, s / NR, NR }' g="$g" >&2
done
fi

# A mean of many latent points lies well inside the sphere of radius sqrt(D) where the
# prior's points are, and decodes to a washed-out average face: every vector is scaled
# back to that radius before decoding (norm(v, r) in the expression language).
D=$("$LATENT" info "$MODEL" | awk '/latent dim/ { print $3 }')
R=$(awk -v d="$D" 'BEGIN { printf "%.6f", sqrt(d) }')
z() { echo 'z("'"$OUT/$1.json"'")'; }
arith() {  # arith OUT EXPR
  "$LATENT" arith "$MODEL" "norm($2, $R)" --z-out "$OUT/$1.json" >/dev/null
}
arith women_glasses "$(z glasses_men) - $(z men) + $(z women)"
arith smiling_men "$(z smiling_women) - $(z neutral_women) + $(z neutral_men)"
for g in glasses_men men women smiling_women neutral_women neutral_men; do arith "n_$g" "$(z $g)"; done
# One row per equation: the three group means, then the result; and the result again
# with small variations (+ 0.25 x a random point), as in Radford et al.'s figure.
for s in 1 2 3; do
  "$PYTHON" -c "import json, random; random.seed($s); json.dump([random.gauss(0, 1) for _ in range($D)], open('$OUT/noise$s.json', 'w'))"
  arith "wg_v$s" "$(z women_glasses) + 0.25*$(z noise$s)"
  arith "sm_v$s" "$(z smiling_men) + 0.25*$(z noise$s)"
done
"$LATENT" decode "$MODEL" --cols 7 --scale 2 -o docs/celeba-dcgan-arithmetic.png \
    -z "$OUT/n_glasses_men.json" -z "$OUT/n_men.json" -z "$OUT/n_women.json" -z "$OUT/women_glasses.json" \
    -z "$OUT/wg_v1.json" -z "$OUT/wg_v2.json" -z "$OUT/wg_v3.json" \
    -z "$OUT/n_smiling_women.json" -z "$OUT/n_neutral_women.json" -z "$OUT/n_neutral_men.json" -z "$OUT/smiling_men.json" \
    -z "$OUT/sm_v1.json" -z "$OUT/sm_v2.json" -z "$OUT/sm_v3.json"
echo "wrote docs/celeba-dcgan-arithmetic.png" >&2
