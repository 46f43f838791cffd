#!/usr/bin/env bash
# Frame times of the studio while a slider is dragged (scripted with xdotool under Xvfb).
#   bench/run_studio_drag.sh [MODEL] [BUILD_DIR]
# Prints the studio's frame-time percentiles (whole frame, UI building, GL drawing) and
# the decode counts. Under Xvfb the drawing is Mesa's llvmpipe (software), so draw_ms is
# the CPU rasteriser's; ui_ms is what the studio itself spends per frame.
set -euo pipefail
MODEL=${1:-models/celeba-dcgan}
BUILD=${2:-build}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
command -v xdotool >/dev/null || { echo "needs xdotool (apt-get install xdotool)" >&2; exit 1; }

cat > "$OUT/drag.sh" <<SCRIPT
#!/bin/sh
# First a short run to learn where the first slider is.
$BUILD/latent-studio --model $MODEL --width 1600 --height 1000 --screenshot $OUT/where.png --frames 2 >/dev/null
read X Y W H <<XY
\$(/usr/bin/python3 -c "import json; r=json.load(open('$OUT/where.png.json'))['first_slider']; print(int(r['x']), int(r['y']+r['h']/2), int(r['w']), int(r['h']))")
XY
$BUILD/latent-studio --model $MODEL --width 1600 --height 1000 --screenshot $OUT/shot.png --screenshot-after 12 &
PID=\$!
xdotool search --sync --name 'Latent Studio' >/dev/null
sleep 3
xdotool mousemove \$((X + W / 2)) \$Y mousedown 1
i=0
while [ \$i -lt 150 ]; do
  # Back and forth across the slider, about 25 moves a second.
  off=\$(( (i % 30) < 15 ? (i % 15) * W / 16 : (15 - i % 15) * W / 16 ))
  xdotool mousemove \$((X + off)) \$Y
  sleep 0.04
  i=\$((i + 1))
done
xdotool mouseup 1
wait \$PID
SCRIPT
echo "dragging the first slider of $MODEL for about 6 s..." >&2
xvfb-run -a -s "-screen 0 1600x1000x24" sh "$OUT/drag.sh"
/usr/bin/python3 "$(dirname "$0")/studio_frame_times.py" "$OUT/shot.png.json" model device decodes_submitted \
  decodes_skipped decode_ms_avg
