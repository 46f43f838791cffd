#!/usr/bin/env bash
# Word-vector benchmarks: ours (bench_word_vectors, latent) and gensim on the same
# synthetic word2vec binaries, in the same run, one program after the other (never
# concurrently), then one table with ratios and the targets of the issue.
#
#   bench/run_word_bench.sh BUILD_DIR
#
# BUILD_DIR holds bench/bench_word_vectors and latent (configure with
# -DLATENT_BUILD_BENCH=ON). Environment:
#   WV_DATA        folder for the synthetic files (default: ../bench-data beside the
#                  repository, i.e. /work/bench-data); missing files are generated there
#                  with bench/gen_word2vec_synthetic.py (never inside the repository)
#   WV_SKIP_3M=1   skip the 3,000,000-word file (3.6 GB; its gensim runs take minutes)
#   WV_ROUNDS      timing rounds per file, ours and gensim alternating (default 2; the
#                  3M file gets WV_ROUNDS_3M, default 1); medians are reported
#   WV_QUERIES     steady-state queries per run (default 50)
#   WV_TRAINED     trained vectors for the analogy check (default:
#                  models/books-word2vec/vectors.bin, skipped when missing)
#   WV_LOGS        keep every raw output in this folder (default: a temporary folder)
#   WV_BEFORE_BIN  another bench_word_vectors (e.g. built from an older word_vectors.cpp):
#                  run beside ours in every round, and a before/after table added
#   PYTHON         default /usr/bin/python3 (Debian's, with python3-gensim)
# Timed runs read the files from a warm page cache (each file is read once with cat
# first): load times are CPU and memory work, not disk speed.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
BIN=$BUILD/bench/bench_word_vectors
LATENT=$BUILD/latent
PY=${PYTHON:-/usr/bin/python3}
DATA=${WV_DATA:-$(dirname "$REPO")/bench-data}
ROUNDS=${WV_ROUNDS:-2}
ROUNDS_3M=${WV_ROUNDS_3M:-1}
BEFORE=${WV_BEFORE_BIN:-}
QUERIES=${WV_QUERIES:-50}
TRAINED=${WV_TRAINED:-$REPO/models/books-word2vec/vectors.bin}
GLOVE=$REPO/../shared/data/vectors/glove.6B.50d.subset5k.w2v.bin
QUESTIONS=$REPO/../shared/data/vectors/questions-words.txt
TIME=/usr/bin/time

[[ -z $BEFORE || -x $BEFORE ]] || { echo "$0: WV_BEFORE_BIN=$BEFORE is not executable" >&2; exit 1; }
[[ -x $BIN ]] || { echo "$0: $BIN not found (configure with -DLATENT_BUILD_BENCH=ON, build bench_word_vectors)" >&2; exit 1; }
[[ -x $LATENT ]] || { echo "$0: $LATENT not found (build the latent target)" >&2; exit 1; }
[[ -x $TIME ]] || { echo "$0: $TIME not found (apt-get install time)" >&2; exit 1; }
"$PY" -c 'import numpy, gensim' 2>/dev/null ||
  { echo "$0: $PY lacks numpy/gensim (apt-get install python3-gensim)" >&2; exit 1; }

if [[ -n ${WV_LOGS:-} ]]; then
  LOGS=$WV_LOGS
  mkdir -p "$LOGS"
else
  LOGS=$(mktemp -d)
  trap 'rm -rf "$LOGS"' EXIT
fi
mkdir -p "$DATA"

FILES=("$DATA/synthetic-300k-300.bin:300000")
[[ ${WV_SKIP_3M:-0} == 1 ]] || FILES+=("$DATA/synthetic-3m-300.bin:3000000")

# /usr/bin/time -v's peak RSS (kB) and wall clock into key=value lines.
time_keys() {  # PREFIX TIMEFILE
  awk -v p="$1" '/Maximum resident set size/ {print p "_maxrss_kb=" $NF}
                 /Elapsed \(wall clock\)/ {n = split($NF, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print p "_wall_s=" s}' "$2"
}

for spec in "${FILES[@]}"; do
  file=${spec%%:*}
  n=${spec##*:}
  tag=$(basename "$file" .bin)
  if [[ ! -f $file ]]; then
    echo "== generating $file ($n words x 300)" >&2
    "$PY" "$HERE/gen_word2vec_synthetic.py" "$n" 300 "$file"
  fi
  rounds=$ROUNDS
  [[ $n -lt 1000000 ]] || rounds=$ROUNDS_3M
  rm -f "$file.lsv"
  echo "== $tag: warming the page cache" >&2
  cat "$file" > /dev/null
  echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')" > "$LOGS/$tag.env.txt"
  for ((r = 1; r <= rounds; r++)); do
    for who in ours ${BEFORE:+before}; do
      bin=$BIN
      [[ $who == ours ]] || bin=$BEFORE
      echo "== $tag round $r/$rounds: $who, $bin --mode all (load, write cache, queries)" >&2
      "$bin" "$file" --queries "$QUERIES" > "$LOGS/$tag.$who.$r.txt"
      echo "== $tag round $r/$rounds: $who, --mode open-native (a fresh process)" >&2
      "$TIME" -v "$bin" "$file" --mode open-native --queries "$QUERIES" > "$LOGS/$tag.${who}_open.$r.txt" \
        2> "$LOGS/$tag.${who}_open.$r.time"
      time_keys rss "$LOGS/$tag.${who}_open.$r.time" >> "$LOGS/$tag.${who}_open.$r.txt"
    done
    echo "== $tag round $r/$rounds: gensim, word_vectors_peers.py" >&2
    "$TIME" -v "$PY" "$HERE/word_vectors_peers.py" "$file" --queries "$QUERIES" > "$LOGS/$tag.gensim.$r.txt" \
      2> "$LOGS/$tag.gensim.$r.time"
    time_keys rss "$LOGS/$tag.gensim.$r.time" >> "$LOGS/$tag.gensim.$r.txt"
  done
  # The cache as a later session finds it after it has fallen out of memory: its pages
  # dropped (POSIX_FADV_DONTNEED on this one file), one cold open (read from disk), then
  # warm opens again (readahead fills the page cache with 2 MiB folios, which map faster
  # than the 4 KiB ones that save_native's small writes leave).
  echo "== $tag: the cache read back from disk" >&2
  "$PY" -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$file.lsv"
  "$BIN" "$file" --mode open-native --queries "$QUERIES" > "$LOGS/$tag.ours_cold.1.txt"
  for ((r = 1; r <= rounds; r++)); do
    "$BIN" "$file" --mode open-native --queries "$QUERIES" > "$LOGS/$tag.ours_readback.$r.txt"
  done
  # Peak memory of our other steps, one process each (the cache written above is in place).
  echo "== $tag: peak memory runs" >&2
  {
    for who in ours ${BEFORE:+before}; do
      bin=$BIN
      [[ $who == ours ]] || bin=$BEFORE
      for mode in load-bin write-cache; do
        "$TIME" -v "$bin" "$file" --mode "$mode" --queries "$QUERIES" > "$LOGS/$tag.$who.mem.$mode.txt" \
          2> "$LOGS/$tag.$who.time.$mode.txt"
        time_keys "${who}_${mode//-/_}" "$LOGS/$tag.$who.time.$mode.txt"
        sed -n "s/^load_bin_s=/${who}_${mode//-/_}_load_bin_s=/p" "$LOGS/$tag.$who.mem.$mode.txt"
      done
    done
    word0=$(sed -n 's/^query_word0=//p' "$LOGS/$tag.ours.1.txt" | head -n 1)
    "$TIME" -v "$LATENT" neighbors "$file" "$word0" > "$LOGS/$tag.cli.txt" 2> "$LOGS/$tag.time.cli.txt"
    time_keys "cli_neighbors_cached" "$LOGS/$tag.time.cli.txt"
    echo "file_bytes=$(stat -c %s "$file")"
    echo "cache_bytes=$(stat -c %s "$file.lsv")"
  } > "$LOGS/$tag.mem.txt"
  echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')" >> "$LOGS/$tag.env.txt"
done

# Analogy accuracy: latent eval-analogies vs gensim evaluate_word_analogies.
: > "$LOGS/analogies.txt"
for spec in "glove-subset5k:$GLOVE" "trained:$TRAINED"; do
  name=${spec%%:*}
  vec=${spec#*:}
  if [[ ! -f $vec ]]; then
    echo "== analogies: $vec not found, skipped" >&2
    continue
  fi
  echo "== analogies on $vec" >&2
  "$LATENT" eval-analogies "$vec" "$QUESTIONS" --restrict-vocab 300000 2>/dev/null |
    awk -v p="$name" '/^Total accuracy/ {print p ".ours=" $3 "/" $4}' >> "$LOGS/analogies.txt"
  "$PY" "$HERE/word_vectors_peers.py" --analogies "$vec" "$QUESTIONS" --restrict-vocab 300000 |
    sed -n "s/^section.Total_accuracy=/$name.gensim=/p" >> "$LOGS/analogies.txt"
  echo "$name.path=$vec" >> "$LOGS/analogies.txt"
done

"$PY" - "$LOGS" "${FILES[@]}" <<'PYEOF'
import glob, os, platform, statistics, sys

logs, specs = sys.argv[1], sys.argv[2:]

def kv(path):
    out = {}
    for line in open(path):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            out[k] = v
    return out

def runs(tag, who):
    return [kv(p) for p in sorted(glob.glob(f"{logs}/{tag}.{who}.[0-9]*.txt"))]

def med(rs, key):
    return statistics.median(float(r[key]) for r in rs)

def spread(rs, key, fmt):
    v = sorted(float(r[key]) for r in rs)
    return "" if len(v) < 2 else f" ({fmt(v[0])}-{fmt(v[-1])})"

ok = True
def verdict(good):
    global ok
    ok &= good
    return "met" if good else "MISSED"

s3 = lambda x: f"{x:.3f}"
s1 = lambda x: f"{x:.1f}"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"Word vectors: ours vs gensim; {os.cpu_count()} CPUs ({cpu}); Linux {platform.release()}")
for spec in specs:
    path = spec.split(":")[0]
    tag = os.path.basename(path)[:-4]
    ours, opened, gen = runs(tag, "ours"), runs(tag, "ours_open"), runs(tag, "gensim")
    before, before_open = runs(tag, "before"), runs(tag, "before_open")
    cold, readback = runs(tag, "ours_cold"), runs(tag, "ours_readback")
    mem, env = kv(f"{logs}/{tag}.mem.txt"), kv(f"{logs}/{tag}.env.txt")
    fb = int(mem["file_bytes"])
    o, g = ours[0], gen[0]
    big = int(o["count"]) >= 1000000
    same_words = o["query_word0"] == g["query_word0"] == opened[0]["query_word0"]
    same_answer = o["load_bin_answer0"] == g["answer0"] == opened[0]["native_answer0"]
    print()
    print(f"### {tag}: {o['count']} words x {o['dim']}, {fb / 1e9:.2f} GB ({fb / 2**30:.2f} GiB)")
    print()
    print(f"{len(ours)} round(s), ours and gensim alternating; medians (min-max over rounds); gensim {g['gensim']}, "
          f"numpy {g['numpy']}; load average {env.get('loadavg_start', '?')} at the start, "
          f"{env.get('loadavg_end', '?')} at the end. Same query words: {'yes' if same_words else 'NO'}; "
          f"same top-10 for the first word: {'yes' if same_answer else 'NO'}.")
    print()
    load_o, load_g = med(ours, "load_bin_s"), med(gen, "load_bin_s")
    first_o = med(opened, "open_native_first_query_s")
    lg = [float(r["load_bin_s"]) + float(r["first_query_s"]) for r in gen]
    lg_g = statistics.median(lg)
    q_o, q_g = med(opened, "native_query_median_ms"), med(gen, "query_median_ms")
    p90_o, p90_g = med(opened, "native_query_p90_ms"), med(gen, "query_p90_ms")
    rows = [
        ("load the word2vec binary", f"{s3(load_o)} s{spread(ours, 'load_bin_s', s3)}",
         f"{s3(load_g)} s{spread(gen, 'load_bin_s', s3)}", f"{load_g / load_o:.1f}x", ">= 10x",
         verdict(load_g / load_o >= 10)),
        ("first query after that load (gensim: includes its norms)",
         f"{s3(med(ours, 'load_bin_first_query_s'))} s", f"{s3(med(gen, 'first_query_s'))} s", "", "", ""),
        ("write the native cache (once; includes fsync)", f"{s3(med(ours, 'save_native_s'))} s", "-", "", "", ""),
        ("open the native cache + first answer, fresh process (gensim: load + first query)",
         f"{s3(first_o)} s{spread(opened, 'open_native_first_query_s', s3)}",
         f"{s3(lg_g)} s", f"{lg_g / first_o:.0f}x", ">= 50x" + (", < ~1 s" if big else ""),
         verdict(lg_g / first_o >= 50 and (not big or first_o <= 1.0))),
        ("same, in the process that just wrote the cache", f"{s3(med(ours, 'open_native_first_query_s'))} s", "", "", "", ""),
        ("same, fresh process, cache read back from disk (page cache dropped first)",
         f"{s3(med(cold, 'open_native_first_query_s'))} s", "", "", "", "(cold)"),
        ("same, fresh process, cache in memory after that read-back",
         f"{s3(med(readback, 'open_native_first_query_s'))} s{spread(readback, 'open_native_first_query_s', s3)}",
         "", f"{lg_g / med(readback, 'open_native_first_query_s'):.0f}x", "", ""),
        (f"steady-state query, median of {o['inmem_query_queries']} (exact, k=10)",
         f"{s1(q_o)} ms{spread(opened, 'native_query_median_ms', s1)}",
         f"{s1(q_g)} ms{spread(gen, 'query_median_ms', s1)}", f"{q_g / q_o:.2f}x", "ours <= gensim", verdict(q_o <= q_g)),
        ("steady-state query, p90", f"{s1(p90_o)} ms", f"{s1(p90_g)} ms", f"{p90_g / p90_o:.2f}x", "", ""),
        ("steady-state query after loading the binary (not mapped), median",
         f"{s1(med(ours, 'inmem_query_median_ms'))} ms", "", "", "", ""),
        ("approximate query (ANN index)", "being written separately", "-", "", "", "placeholder"),
    ]
    print("| measurement | ours | gensim | gensim / ours | target | |")
    print("|---|---:|---:|---:|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print("| peak RSS, each its own process (/usr/bin/time -v) | peak | / file size | wall | target |")
    print("|---|---:|---:|---:|---|")
    mrows = [
        ("ours: load binary + first query", int(mem["ours_load_bin_maxrss_kb"]), float(mem["ours_load_bin_wall_s"]), True),
        ("ours: load binary + write cache (as `latent convert`)", int(mem["ours_write_cache_maxrss_kb"]),
         float(mem["ours_write_cache_wall_s"]), False),
        (f"ours: open cache + {1 + int(opened[0]['native_query_queries'])} queries (mapped pages count)",
         max(int(r["rss_maxrss_kb"]) for r in opened), med(opened, "rss_wall_s"), False),
        ("ours: `latent neighbors FILE.bin WORD` with the cache present", int(mem["cli_neighbors_cached_maxrss_kb"]),
         float(mem["cli_neighbors_cached_wall_s"]), False),
        (f"gensim: load + first query + {g['query_queries']} queries", max(int(r["rss_maxrss_kb"]) for r in gen),
         med(gen, "rss_wall_s"), False),
    ]
    for label, kb, wall, is_target in mrows:
        ratio = kb * 1024 / fb
        t = (f"<= 1.1x: {verdict(ratio <= 1.1)}" if big else "(<= 1.1x is for the 3M file)") if is_target else ""
        print(f"| {label} | {kb * 1024 / 2**30:.2f} GiB | {ratio:.2f}x | {wall:.2f} s | {t} |")
    if before:
        print()
        print("Before/after (WV_BEFORE_BIN, same rounds):")
        print()
        print("| measurement | before | after | before / after |")
        print("|---|---:|---:|---:|")
        for label, b, a, unit in [
            ("load the word2vec binary", med(before, "load_bin_s"), load_o, "s"),
            ("open cache + first answer, fresh process", med(before_open, "open_native_first_query_s"), first_o, "s"),
            ("steady-state query, median", med(before_open, "native_query_median_ms"), q_o, "ms"),
            ("peak RSS, load binary + first query", int(mem["before_load_bin_maxrss_kb"]) / 2**20,
             int(mem["ours_load_bin_maxrss_kb"]) / 2**20, "GiB"),
        ]:
            print(f"| {label} | {b:.3f} {unit} | {a:.3f} {unit} | {b / a:.2f}x |")

an = kv(f"{logs}/analogies.txt") if os.path.exists(f"{logs}/analogies.txt") else {}
print()
print("### eval-analogies (questions-words.txt, restrict_vocab=300000)")
print()
print("| vectors | ours (`latent eval-analogies`) | gensim (`evaluate_word_analogies`) | difference | target |")
print("|---|---:|---:|---:|---|")
for name in ["glove-subset5k", "trained"]:
    if f"{name}.ours" not in an:
        print(f"| {name} | not run (file missing) | | | |")
        continue
    c, t = map(int, an[f"{name}.ours"].split("/"))
    gc, gt = map(int, an[f"{name}.gensim"].split("/"))
    a, b = 100 * c / t, 100 * gc / gt
    print(f"| {name} (`{an[name + '.path']}`) | {a:.2f}% ({c}/{t}) | {b:.2f}% ({gc}/{gt}) | {a - b:+.2f} points | "
          f"within 0.1: {verdict(abs(a - b) <= 0.1)} |")
print()
print("all targets met" if ok else "SOME TARGETS MISSED")
PYEOF
