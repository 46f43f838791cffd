#!/usr/bin/python3
"""Prints, as JSON, the frame-time percentiles from a studio screenshot's probe file
(PNG.json: whole frame, UI building, GL drawing) with the probe's fields named after it.

usage: studio_frame_times.py PROBE.json [FIELD...]
"""
import json
import sys

probe = json.load(open(sys.argv[1]))
times = probe["frame_times"]
out = {field: probe.get(field) for field in sys.argv[2:]}
out.update({"frames": times["frame_ms"]["frames"], "frame_ms": times["frame_ms"], "ui_ms": times["ui_ms"],
            "draw_ms": times["draw_ms"]})
print(json.dumps(out, indent=1))
