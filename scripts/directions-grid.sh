#!/bin/sh
# The named directions of a face model as a grid: each row one prior sample, then the same
# point moved +SIGMA along each direction (its directions.json, from `latent directions`).
# Usage: scripts/directions-grid.sh MODEL OUT.png [N] [SIGMA] [DIRECTION...]
set -eu
model=$1; out=$2; n=${3:-6}; sigma=${4:-3}
shift 4 2>/dev/null || shift $#
[ $# -gt 0 ] || set -- Smiling Eyeglasses Male Young
latent=${LATENT:-build/latent}
dim=$(python3 -c "import json,sys; print(json.load(open('$model/model.json'))['latent_dim'])")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
zs=""
python3 - "$tmp" "$n" "$dim" <<'PY'
import json, random, sys
tmp, n, dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(2026)
for i in range(n):
    json.dump({"z": [rng.gauss(0, 1) for _ in range(dim)]}, open(f"{tmp}/z{i}.json", "w"))
PY
cols=$(( $# + 1 ))
i=0
while [ $i -lt "$n" ]; do
  zs="$zs -z $tmp/z$i.json"
  for d in "$@"; do
    s=$(python3 -c "import json; print([x['sigma'] for x in json.load(open('$model/directions.json'))['directions'] if x['name']=='$d'][0])")
    "$latent" arith "$model" "z(\"$tmp/z$i.json\") + $sigma*$s*dir(\"$d\")" -o "$tmp/x.png" --z-out "$tmp/z${i}_$d.json" >/dev/null 2>&1
    zs="$zs -z $tmp/z${i}_$d.json"
  done
  i=$((i + 1))
done
"$latent" decode "$model" $zs --cols $cols --scale 2 -o "$out" >/dev/null
echo "$out: $n rows; columns: the sample, then +${sigma} sigma along $*"
