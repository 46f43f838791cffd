#!/bin/sh
# The screenshots in docs/journey.md, made by the studio itself under Xvfb:
# every Journey scene, every layout preset, and the map zoomed in with a point hovered.
# Usage: xvfb-run -a -s "-screen 0 1600x1000x24" scripts/studio-screenshots.sh [BUILD]
set -e
B=${1:-build}
S=$B/latent-studio
mkdir -p docs/scenes docs/layouts
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
xdotool mousemove 1599 999 2>/dev/null || true  # the pointer away from the panels: no tooltips
for f in assets/scenes/*.json; do
  n=$(basename "$f" .json)
  after=""
  case "$n" in *walk*) after="--screenshot-after 8" ;; esac
  $S --session "$f" --layout-file "$T/l-$n.json" --screenshot "docs/scenes/$n.png" $after >/dev/null 2>&1
done
for p in explore map perform; do
  $S --layout $p --layout-file "$T/l-$p.json" --screenshot "docs/layouts/$p.png" >/dev/null 2>&1
done
$S --model models/books-word2vec --layout-file "$T/l-w.json" --screenshot docs/layouts/words.png >/dev/null 2>&1
$S --model models/storyteller --layout-file "$T/l-s.json" --screenshot docs/layouts/story.png >/dev/null 2>&1
# The map zoomed in (the wheel, seven notches) with a point hovered: pictures and the
# hovered point's decoding.
$S --layout map --layout-file "$T/l-m.json" --color-by glasses --screenshot "$T/m.png" --frames 3 >/dev/null 2>&1
set -- $(/usr/bin/python3 -c "
import json; m = json.load(open('$T/m.png.json'))['map_pictures']; c = m['canvas']
print(int(c['x'] + c['w'] / 2), int(c['y'] + c['h'] / 2))")
$S --layout map --layout-file "$T/l-m.json" --color-by glasses --screenshot docs/map-pictures.png --screenshot-after 7 >/dev/null 2>&1 &
P=$!
xdotool search --sync --name 'Latent Studio' >/dev/null
sleep 2
xdotool mousemove "$1" "$2"
for i in 1 2 3 4; do xdotool click 4; sleep 0.1; done
sleep 0.5
xdotool mousemove $(($1 + 40)) $(($2 + 30))
sleep 0.3
xdotool mousemove_relative 1 0
wait $P
echo "wrote docs/scenes/*.png, docs/layouts/*.png, docs/map-pictures.png"
