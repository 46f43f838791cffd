#!/bin/sh
# How long each Journey scene takes to open, as a person waits for it: the studio is up on
# the shipped model, the Journey menu is clicked, then the scene; the studio times the
# click to the scene's model, data, map, sliders and first picture (or its walk playing).
# Also the whole process from a cold start with --session SCENE to the settled window.
# Needs an X display (run under xvfb-run) and xdotool. Usage: bench/journey-scenes.sh [BUILD]
set -e
B=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$B/latent-studio --screenshot "$T/a.png" --frames 3 >/dev/null 2>&1
/usr/bin/python3 - "$T" "$B" <<'PY'
import json, subprocess, sys, time
t, b = sys.argv[1], sys.argv[2]
j = json.load(open(t + "/a.png.json"))["journey"]
def centre(r): return "%d %d" % (r["x"] + r["w"] / 2, r["y"] + r["h"] / 2)
# item rects: the menu opened once
subprocess.run(["sh", "-c", f"{b}/latent-studio --screenshot {t}/m.png --screenshot-after 4 >/dev/null 2>&1 & P=$!; "
                f"xdotool search --sync --name 'Latent Studio' >/dev/null; sleep 2; xdotool mousemove {centre(j['menu'])} click 1; wait $P"], check=True)
items = [s["rect"] for s in json.load(open(t + "/m.png.json"))["journey"]["scenes"]]
print("| scene | from the menu (click to ready) | cold start with --session to a settled window |")
print("|---|---|---|")
for s, r in zip(j["scenes"], items):
    subprocess.run(["sh", "-c", f"{b}/latent-studio --screenshot {t}/s.png --screenshot-after 16 >/dev/null 2>&1 & P=$!; "
                    f"xdotool search --sync --name 'Latent Studio' >/dev/null; sleep 2; xdotool mousemove {centre(j['menu'])} click 1; "
                    f"sleep 0.7; xdotool mousemove {centre(r)} click 1; wait $P"], check=True)
    menu_s = json.load(open(t + "/s.png.json"))["journey"]["open_seconds"]
    cold = "(plays: never settles)"
    if "walk" not in s["path"]:
        t0 = time.time()
        subprocess.run([f"{b}/latent-studio", "--session", s["path"], "--screenshot", t + "/c.png"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cold = "%.2f s" % (time.time() - t0)
    print(f"| {s['title']} | {menu_s:.2f} s | {cold} |")
PY
