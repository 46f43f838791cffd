#!/usr/bin/env bash
# Frame times of the studio while a large map computes and streams in, and is panned and
# hovered the whole time (scripted with xdotool under Xvfb).
#   bench/run_studio_map_pan.sh MODEL DATASET [METHOD] [SECONDS] [BUILD_DIR]
# METHOD: tsne (default), umap or pca. SECONDS (default 120): how long the studio runs
# before its screenshot; a right-button drag pans the map back and forth and the pointer
# rests on it in between, from 20 s after the window opens to the end. Prints the
# studio's frame-time percentiles (whole frame, UI building, GL drawing), how many points
# the map had and how far its computation got, and how often the GL layer drew the points
# and uploaded them. Under Xvfb the drawing is Mesa's llvmpipe (software): draw_ms is
# the CPU rasteriser's, while ui_ms is what the studio itself spends per frame.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 MODEL DATASET [METHOD] [SECONDS] [BUILD_DIR]" >&2; exit 2; }
MODEL=$1 DATASET=$2 METHOD=${3:-tsne} SECONDS_=${4:-120} BUILD=${5:-build}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
command -v xdotool >/dev/null || { echo "needs xdotool (apt-get install xdotool)" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "needs xvfb-run (apt-get install xvfb)" >&2; exit 1; }

echo "running the studio on $DATASET ($METHOD map) for $SECONDS_ s, panning..." >&2
cat > "$OUT/pan.sh" <<SCRIPT
#!/bin/sh
$BUILD/latent-studio --model $MODEL --dataset $DATASET --map $METHOD --width 1600 --height 1000 \\
  --screenshot $OUT/shot.png --screenshot-after $SECONDS_ > $OUT/studio.log 2>&1 &
PID=\$!
xdotool search --sync --name 'Latent Studio' >/dev/null
sleep 20
# The canvas's centre, from the studio's own layout (a short run of the same window).
$BUILD/latent-studio --model $MODEL --width 1600 --height 1000 --screenshot $OUT/where.png --frames 2 >/dev/null 2>&1 || true
read CX CY <<XY
\$(/usr/bin/python3 -c "
import json
try:
    r = json.load(open('$OUT/where.png.json'))['map_pictures']['canvas']
    print(int(r['x'] + r['w'] / 2), int(r['y'] + r['h'] / 2))
except Exception:
    print(1100, 550)")
XY
while kill -0 \$PID 2>/dev/null; do
  xdotool mousemove \$CX \$CY mousedown 3
  for d in 20 40 60 80 100 80 60 40 20 0; do xdotool mousemove \$((CX + d)) \$((CY + d / 2)); sleep 0.05; done
  xdotool mouseup 3
  for d in 5 10 15 20; do xdotool mousemove \$((CX + d)) \$CY; sleep 0.1; done
done
wait \$PID
SCRIPT
xvfb-run -a -s "-screen 0 1600x1000x24" sh "$OUT/pan.sh"
/usr/bin/python3 "$(dirname "$0")/studio_frame_times.py" "$OUT/shot.png.json" map_points map_method map_progress \
  map_redraws map_uploads section_max_ms
