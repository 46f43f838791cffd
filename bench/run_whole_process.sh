#!/usr/bin/env bash
# Whole-process benchmark: the time a person waits for a whole command (process start,
# reading the input, the work, writing the result), ours (`latent`) against Python peers.
# Every run is a fresh process timed from outside; ours and the peers alternate within
# each round (the order rotates from round to round), so that load from other work on a
# shared machine falls on both sides alike.
#
#   bench/run_whole_process.sh BUILD_DIR [ROUNDS]
#
# BUILD_DIR holds the `latent` CLI (BUILD_DIR/latent); it is copied once at the start and
# the copy is timed, so that a rebuild during the run cannot mix two builds. ROUNDS
# (default 5): runs of each command per job. Jobs:
#   startup     latent --version vs python3 -c 'import numpy' / sklearn / gensim: the
#               cost of starting each process, the floor under the jobs below
#   fit-pca     latent fit-pca IDX.gz -k 64 -o DIR
#               vs whole_process_peers.py numpy-pca (float32 covariance + eigh) and
#               sklearn-pca (PCA(64, svd_solver='randomized', random_state=0))
#   w2v-first   latent neighbors FILE.bin WORD, FILE.bin.lsv deleted before every run
#               vs gensim load_word2vec_format(binary=True) + most_similar(WORD, topn=10)
#   cache       latent neighbors FILE.bin WORD with FILE.bin.lsv in place (written once by
#               `latent convert FILE.bin`) vs gensim KeyedVectors.load(FILE.kv, mmap='r') +
#               most_similar (FILE.kv saved once, norms included)
# Both sides ask for the same word (bench/word_vectors_peers.py's first query word) and
# the report says whether the two top-10 lists agree. The report (Markdown) goes to
# stdout and to WP_OUT; progress lines go to stderr.
#
# Environment:
#   WP_OUT     the report file (default /tmp/whole_process.md)
#   WP_DATA    folder for the synthetic word2vec files, the caches and gensim's saved
#              vectors (default /tmp/wp-data; never inside the repository); missing
#              files are generated with bench/gen_word2vec_synthetic.py
#   WP_SMALL=1 a small trial: PCA on the first 5000 images, a 20,000-word file
#   WP_3M=1    also the cache job on a 3,000,000 x 300 file (3.6 GB; its cache and
#              gensim's copy as much again; free disk and memory are checked first)
#   WP_KEEP=1  keep the raw outputs (the temporary folder is named at the end)
#   LATENT_FASHION_MNIST  the train-images IDX .gz (default: Debian's dataset-fashion-mnist)
#   PYTHON     default /usr/bin/python3 (Debian's: python3-numpy, python3-sklearn,
#              python3-gensim)
# Timing: bash's $EPOCHREALTIME just before and after each run of
# `/usr/bin/time -f %M -o FILE COMMAND` (the wall clock therefore includes starting
# /usr/bin/time, about a millisecond, on both sides); peak RSS is /usr/bin/time's %M.
# Inputs are read once with cat before each job, so the runs read from a warm page cache.
# Nothing is nice'd; BLAS settings in the environment pass through to both sides.
set -euo pipefail
export LC_ALL=C  # a '.' in $EPOCHREALTIME and in every number printed

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
note() { echo "== $*" >&2; }

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 BUILD_DIR [ROUNDS]   (BUILD_DIR/latent is the CLI; ROUNDS default 5)" >&2
  exit 2
fi
[[ -d $1 ]] || die "$1: no such folder (give the build folder that holds 'latent')"
BUILD=$(cd "$1" && pwd)
ROUNDS=${2:-5}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive whole number, not '$ROUNDS'"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
PY=${PYTHON:-/usr/bin/python3}
PEERS=$HERE/whole_process_peers.py
TIME=/usr/bin/time
OUT=${WP_OUT:-/tmp/whole_process.md}
DATA=${WP_DATA:-/tmp/wp-data}
SMALL=${WP_SMALL:-0}
BIG=${WP_3M:-0}
KEEP=${WP_KEEP:-0}
IDX=${LATENT_FASHION_MNIST:-/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz}
K=64
TOPN=10

[[ -x $BUILD/latent ]] || die "$BUILD/latent not found or not executable (build the latent target first)"
[[ -x $TIME ]] || die "$TIME not found (apt-get install time)"
command -v "$PY" > /dev/null || die "$PY not found (set PYTHON)"
[[ -f $PEERS ]] || die "$PEERS not found"
DATA=$(realpath -m "$DATA")
case $DATA/ in "$(realpath "$REPO")"/*) die "WP_DATA=$DATA is inside the repository; generated data goes elsewhere" ;; esac
mkdir -p "$DATA"
mkdir -p "$(dirname "$OUT")"

has_module() { "$PY" -c "import $1" 2> /dev/null; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/whole-process.XXXXXX")
cleanup() {
  if [[ $KEEP == 1 ]]; then
    echo "== raw outputs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
LOGS=$WORK/logs
mkdir -p "$LOGS"
META=$LOGS/meta.txt   # key=value lines for the report
TIMES=$LOGS/times.tsv # job, who, round, t0, t1, peak RSS kB
: > "$META"
: > "$TIMES"
meta() { printf '%s=%s\n' "$1" "$2" >> "$META"; }

# The binary timed is a copy taken now (same bytes, started the same way).
LATENT=$WORK/latent
cp "$BUILD/latent" "$LATENT"
meta latent.path "$BUILD/latent"
meta latent.version "$("$LATENT" --version 2>&1 | head -n 1)"
meta latent.mtime "$(date -r "$BUILD/latent" '+%Y-%m-%d %H:%M:%S')"
meta latent.sha256 "$(sha256sum "$LATENT" | cut -c1-12)"
meta python "$PY $("$PY" -c 'import platform; print(platform.python_version())')"
meta versions "$("$PY" "$PEERS" versions)"
meta date "$(date '+%Y-%m-%d %H:%M:%S %Z')"
meta nproc "$(nproc)"
meta cpu "$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)"
meta kernel "$(uname -r)"
meta memory "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 2^20}' /proc/meminfo)"
meta rounds "$ROUNDS"
meta small "$SMALL"
meta loadavg.start "$(cut -d' ' -f1-3 /proc/loadavg)"
for v in OPENBLAS_NUM_THREADS OMP_NUM_THREADS MKL_NUM_THREADS OPENBLAS_CORETYPE; do
  [[ -z ${!v:-} ]] || meta env "$v=${!v}"
done

# timed JOB WHO ROUND COMMAND...: one fresh process; the wall clock is taken outside it.
timed() {
  local job=$1 who=$2 r=$3 t0 t1
  shift 3
  local base=$LOGS/$job.$who.$r
  t0=$EPOCHREALTIME
  if ! "$TIME" -f %M -o "$base.rss" "$@" > "$base.out" 2> "$base.err"; then
    echo "$(basename "$0"): $job: $who failed in round $r: $*" >&2
    tail -n 20 "$base.err" >&2
    exit 1
  fi
  t1=$EPOCHREALTIME
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$job" "$who" "$r" "$t0" "$t1" "$(tail -n 1 "$base.rss")" >> "$TIMES"
}

# interleave JOB RUNFN MEMBER...: ROUNDS rounds; in each, every member runs once, the
# order rotated by one each round (ours first in round 1).
interleave() {
  local job=$1 fn=$2 r i n who
  shift 2
  local members=("$@")
  n=${#members[@]}
  meta "job.$job.members" "${members[*]}"
  meta "job.$job.loadavg" "$(cut -d' ' -f1-3 /proc/loadavg)"
  for ((r = 1; r <= ROUNDS; r++)); do
    for ((i = 0; i < n; i++)); do
      who=${members[(i + r - 1) % n]}
      note "$job, round $r/$ROUNDS: $who"
      "$fn" "$who" "$r"
    done
  done
  meta "job.$job.loadavg_end" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

skip_job() {  # JOB TITLE REASON
  note "$1: SKIPPED: $3"
  meta "job.$1.title" "$2"
  meta "job.$1.skip" "$3"
  JOBS+=("$1")
}

warm() { cat "$@" > /dev/null; }  # read the inputs once: the timed runs find them in memory

JOBS=()

# ---------------------------------------------------------------- 0. startup
# Not a comparison: the floor under every job below, a process that starts and ends.
startup_run() {  # WHO ROUND
  case $1 in
    ours) timed startup ours "$2" "$LATENT" --version ;;
    numpy) timed startup numpy "$2" "$PY" -c 'import numpy' ;;
    sklearn) timed startup sklearn "$2" "$PY" -c 'import sklearn.decomposition' ;;
    gensim) timed startup gensim "$2" "$PY" -c 'import gensim.models' ;;
  esac
}
members=(ours)
for m in numpy sklearn gensim; do has_module "$m" && members+=("$m"); done
meta job.startup.title "startup: start a process and end it (the floor under the jobs below; not a comparison)"
meta job.startup.cmd.ours "latent --version"
meta job.startup.cmd.numpy "python3 -c 'import numpy'"
meta job.startup.cmd.sklearn "python3 -c 'import sklearn.decomposition'"
meta job.startup.cmd.gensim "python3 -c 'import gensim.models'"
JOBS+=(startup)
interleave startup startup_run "${members[@]}"

# ---------------------------------------------------------------- 1. fit-pca
PCA_LIMIT=()
PEER_LIMIT=()
if [[ $SMALL == 1 ]]; then
  PCA_LIMIT=(--limit 5000)
  PEER_LIMIT=(--limit 5000)
fi
pca_run() {  # WHO ROUND
  local dir=$WORK/pca-$1
  rm -rf "$dir"
  case $1 in
    ours) timed fit-pca ours "$2" "$LATENT" fit-pca "$IDX" -k "$K" -o "$dir" "${PCA_LIMIT[@]}"
          [[ -f $dir/model.json ]] || die "fit-pca: ours wrote no $dir/model.json" ;;
    numpy) timed fit-pca numpy "$2" "$PY" "$PEERS" numpy-pca "$IDX" "$dir" --k "$K" "${PEER_LIMIT[@]}"
           [[ -f $dir/components.npy ]] || die "fit-pca: numpy wrote no $dir/components.npy" ;;
    sklearn) timed fit-pca sklearn "$2" "$PY" "$PEERS" sklearn-pca "$IDX" "$dir" --k "$K" "${PEER_LIMIT[@]}"
             [[ -f $dir/components.npy ]] || die "fit-pca: sklearn wrote no $dir/components.npy" ;;
  esac
}
pca_title="fit-pca: Fashion-MNIST train ($(basename "$IDX")) -> $K components"
[[ $SMALL != 1 ]] || pca_title+=", first 5000 images only (WP_SMALL=1)"
if [[ ! -f $IDX ]]; then
  skip_job fit-pca "$pca_title" "$IDX not found (install dataset-fashion-mnist or set LATENT_FASHION_MNIST)"
else
  members=(ours)
  if has_module numpy; then members+=(numpy); else meta job.fit-pca.note "numpy peer skipped: $PY lacks numpy (apt-get install python3-numpy)"; fi
  if has_module sklearn; then members+=(sklearn); else meta job.fit-pca.note "scikit-learn peer skipped: $PY lacks sklearn (apt-get install python3-sklearn)"; fi
  meta job.fit-pca.title "$pca_title"
  meta job.fit-pca.cmd.ours "latent fit-pca $IDX -k $K -o \$TMP/pca ${PCA_LIMIT[*]}"
  meta job.fit-pca.cmd.numpy "whole_process_peers.py numpy-pca (gzip + frombuffer, /255 float32; mean; Xc.T @ Xc / (n-1) in float32; np.linalg.eigh; top $K; mean.npy + components.npy) ${PEER_LIMIT[*]}"
  meta job.fit-pca.cmd.sklearn "whole_process_peers.py sklearn-pca (same read; PCA($K, svd_solver='randomized', random_state=0).fit, float32; mean.npy + components.npy) ${PEER_LIMIT[*]}"
  warm "$IDX"
  JOBS+=(fit-pca)
  interleave fit-pca pca_run "${members[@]}"
fi

# ---------------------------------------------------------------- word vectors
# ensure_bin N NAME: the synthetic word2vec binary $DATA/NAME, generated when missing.
ensure_bin() {
  local n=$1 file=$DATA/$2
  if [[ ! -f $file ]]; then
    has_module numpy || return 1
    note "generating $file ($n words x 300)"
    "$PY" "$HERE/gen_word2vec_synthetic.py" "$n" 300 "$file" || return 1
  fi
}

gensim_ok=0
has_module gensim && gensim_ok=1

if [[ $SMALL == 1 ]]; then
  W_N=20000 W_NAME=synthetic-20k-300.bin
else
  W_N=300000 W_NAME=synthetic-300k-300.bin
fi
W_FILE=$DATA/$W_NAME

# ---------------------------------------------------------------- 2. word2vec first open
first_run() {  # WHO ROUND
  case $1 in
    ours)
      rm -f "$W_FILE.lsv"  # no native cache: the binary itself is read
      timed w2v-first ours "$2" "$LATENT" neighbors "$W_FILE" "$WORD" --k "$TOPN"
      if [[ -e $W_FILE.lsv ]]; then
        meta job.w2v-first.note "ours wrote $W_NAME.lsv during round $2 (its time includes that); deleted"
        rm -f "$W_FILE.lsv"
      fi ;;
    gensim) timed w2v-first gensim "$2" "$PY" "$PEERS" gensim-bin-query "$W_FILE" "$WORD" --k "$TOPN" ;;
  esac
}
first_title="w2v-first: open a word2vec binary ($W_N words x 300) + one query, no cache"
WORD=
if ! ensure_bin "$W_N" "$W_NAME"; then
  skip_job w2v-first "$first_title" "$W_FILE is missing and could not be generated (needs numpy)"
else
  WORD=$("$PY" "$PEERS" query-word "$W_FILE")
  [[ -n $WORD ]] || die "no query word found in $W_FILE"
  meta job.w2v-first.title "$first_title"
  meta job.w2v-first.word "$WORD"
  meta job.w2v-first.file "$W_FILE ($(stat -c %s "$W_FILE") bytes)"
  meta job.w2v-first.cmd.ours "latent neighbors $W_NAME $WORD --k $TOPN ($W_NAME.lsv deleted before each run)"
  meta job.w2v-first.cmd.gensim "whole_process_peers.py gensim-bin-query: KeyedVectors.load_word2vec_format(binary=True) + most_similar('$WORD', topn=$TOPN)"
  members=(ours)
  if [[ $gensim_ok == 1 ]]; then members+=(gensim); else meta job.w2v-first.note "gensim peer skipped: $PY lacks gensim (apt-get install python3-gensim)"; fi
  rm -f "$W_FILE.lsv"
  warm "$W_FILE"
  JOBS+=(w2v-first)
  interleave w2v-first first_run "${members[@]}"
fi

# ---------------------------------------------------------------- 3. cache open
# cache_job JOB N NAME TITLE
cache_job() {
  local job=$1 n=$2 name=$3 title=$4
  local file=$DATA/$name word kv=$DATA/${name%.bin}.gensim.kv
  if ! ensure_bin "$n" "$name"; then
    skip_job "$job" "$title" "$file is missing and could not be generated (needs numpy)"
    return
  fi
  word=$("$PY" "$PEERS" query-word "$file")
  note "$job: writing the native cache once: latent convert $name"
  "$LATENT" convert "$file" > "$LOGS/$job.convert.out" 2> "$LOGS/$job.convert.err" ||
    { tail -n 20 "$LOGS/$job.convert.err" >&2; die "$job: latent convert $file failed"; }
  [[ -f $file.lsv ]] || die "$job: latent convert did not write $file.lsv"
  members=(ours)
  if [[ $gensim_ok == 1 ]]; then
    if [[ ! -f $kv || ! -f $kv.vectors.npy || ! -f $kv.norms.npy || $file -nt $kv ]]; then
      note "$job: saving gensim's native copy once: $kv"
      "$PY" "$PEERS" gensim-save "$file" "$kv"
    fi
    members+=(gensim)
    warm "$kv" "$kv.vectors.npy" "$kv.norms.npy"
  else
    meta "job.$job.note" "gensim peer skipped: $PY lacks gensim (apt-get install python3-gensim)"
  fi
  warm "$file" "$file.lsv"
  meta "job.$job.title" "$title"
  meta "job.$job.word" "$word"
  meta "job.$job.file" "$file ($(stat -c %s "$file") bytes; cache $(stat -c %s "$file.lsv") bytes)"
  meta "job.$job.cmd.ours" "latent neighbors $name $word --k $TOPN (with $name.lsv, from latent convert, in place)"
  meta "job.$job.cmd.gensim" "whole_process_peers.py gensim-kv-query: KeyedVectors.load(kv, mmap='r') (vectors and norms saved as .npy) + most_similar('$word', topn=$TOPN)"
  CJ_FILE=$file CJ_WORD=$word CJ_KV=$kv CJ_JOB=$job
  JOBS+=("$job")
  interleave "$job" cache_run "${members[@]}"
}
cache_run() {  # WHO ROUND
  case $1 in
    ours) [[ -f $CJ_FILE.lsv ]] || die "$CJ_JOB: $CJ_FILE.lsv disappeared"
          timed "$CJ_JOB" ours "$2" "$LATENT" neighbors "$CJ_FILE" "$CJ_WORD" --k "$TOPN" ;;
    gensim) timed "$CJ_JOB" gensim "$2" "$PY" "$PEERS" gensim-kv-query "$CJ_KV" "$CJ_WORD" --k "$TOPN" ;;
  esac
}

small_note=
[[ $SMALL != 1 ]] || small_note=" (WP_SMALL=1)"
cache_job cache "$W_N" "$W_NAME" "cache: open the native cache ($W_N words x 300) + one query$small_note"

BIG_NAME=synthetic-3m-300.bin
big_title="cache-3m: open the native cache (3,000,000 words x 300) + one query"
if [[ $BIG != 1 ]]; then
  meta skipped.3m "the 3M-word cache job did not run (set WP_3M=1 to run it)"
elif [[ $SMALL == 1 ]]; then
  skip_job cache-3m "$big_title" "WP_SMALL=1 is set; the 3M file runs only in a full run"
else
  need=$((1 << 30))  # a margin
  [[ -f $DATA/$BIG_NAME ]] || need=$((need + 3700000000))
  [[ -f $DATA/$BIG_NAME.lsv ]] || need=$((need + 3800000000))
  [[ $gensim_ok != 1 || -f $DATA/${BIG_NAME%.bin}.gensim.kv.vectors.npy ]] || need=$((need + 3800000000))
  avail=$(df -B1 --output=avail "$DATA" | tail -n 1 | tr -d ' ')
  mem_kb=$(awk '/^MemAvailable/ {print $2}' /proc/meminfo)
  if ((avail < need)); then
    skip_job cache-3m "$big_title" "not enough free disk in $DATA: $((avail >> 20)) MiB free, $((need >> 20)) MiB needed"
  elif ((mem_kb < 10 * 1024 * 1024)); then
    skip_job cache-3m "$big_title" "$((mem_kb >> 10)) MiB of memory available; about 10 GiB are needed (gensim loads the 3M file at ~2.1x its size)"
  else
    cache_job cache-3m 3000000 "$BIG_NAME" "$big_title"
  fi
fi

meta loadavg.end "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
"$PY" - "$LOGS" "${JOBS[@]}" <<'PYEOF' | tee "$OUT"
import re, statistics, sys

logs, jobs = sys.argv[1], sys.argv[2:]
meta = {}
for line in open(f"{logs}/meta.txt"):
    k, _, v = line.rstrip("\n").partition("=")
    meta.setdefault(k, []).append(v)
one = lambda k, d="?": meta.get(k, [d])[-1]

runs = {}
for line in open(f"{logs}/times.tsv"):
    job, who, r, t0, t1, rss = line.rstrip("\n").split("\t")
    runs.setdefault((job, who), []).append((int(r), float(t1) - float(t0), int(rss)))

LABEL = {"ours": "ours (latent)", "numpy": "NumPy cov + eigh", "sklearn": "scikit-learn randomized",
         "gensim": "gensim"}
STARTUP = {"ours": "ours (latent)", "numpy": "python3 + numpy", "sklearn": "python3 + scikit-learn",
           "gensim": "python3 + gensim"}
label = lambda job, who: (STARTUP if job == "startup" else LABEL).get(who, who)

def answers(job, who, r):
    out = []
    try:
        for line in open(f"{logs}/{job}.{who}.{r}.out"):
            m = re.match(r"^\s*(\d+)\s+(\S+)\s+(-?\d+(?:\.\d+)?)\s*$", line)
            if m:
                out.append(m.group(2))
    except FileNotFoundError:
        pass
    return out

def first_line(job, who, r):
    try:
        return open(f"{logs}/{job}.{who}.{r}.out").readline().strip()
    except FileNotFoundError:
        return ""

print("# Whole-process benchmark: latent against the Python peers")
print()
print(f"- date: {one('date')}")
print(f"- machine: {one('nproc')} CPUs (nproc), {one('cpu')}; {one('memory')}; Linux {one('kernel')}")
print(f"- load average (1, 5, 15 min): {one('loadavg.start')} at the start, {one('loadavg.end')} at the end")
print(f"- latent: {one('latent.path')} ({one('latent.version')}, built {one('latent.mtime')}, "
      f"sha256 {one('latent.sha256')}…; a copy taken at the start is what runs)")
print(f"- Python: {one('python')}; {one('versions')}")
for e in meta.get("env", []):
    print(f"- environment: {e}")
print(f"- {one('rounds')} round(s){'; small mode (WP_SMALL=1)' if one('small') == '1' else ''}: in each round "
      "every command runs once, one after the other (never together), the order rotated by one per round. "
      "Each run is a fresh process; wall clock from outside (bash $EPOCHREALTIME around /usr/bin/time), "
      "peak RSS from /usr/bin/time %M; inputs in the page cache (read once before each job).")
for s in meta.get("skipped.3m", []):
    print(f"- {s}")

for job in jobs:
    print()
    print(f"## {one(f'job.{job}.title', job)}")
    print()
    if f"job.{job}.skip" in meta:
        print(f"Skipped: {one(f'job.{job}.skip')}")
        continue
    members = one(f"job.{job}.members").split()
    la, lb = one(f"job.{job}.loadavg"), one(f"job.{job}.loadavg_end")
    extra = []
    if f"job.{job}.file" in meta:
        extra.append(f"file {one(f'job.{job}.file')}")
    if f"job.{job}.word" in meta:
        extra.append(f"query word `{one(f'job.{job}.word')}`")
    extra.append(f"load average {la} → {lb}")
    print("; ".join(extra) + ".")
    print()
    rows = []
    for who in members:
        rs = sorted(runs.get((job, who), []))
        ts = [t for _, t, _ in rs]
        rows.append((who, ts, max(kb for _, _, kb in rs) if rs else 0))
    ours = statistics.median(rows[0][1]) if rows and rows[0][1] else float("nan")
    print(f"| command | runs | median s | min–max s | peak RSS MiB | time {'peer' if job != 'startup' else 'it'} / ours |")
    print("|---|---:|---:|---:|---:|---:|")
    for who, ts, kb in rows:
        med = statistics.median(ts)
        ratio = "1.00 (ours)" if who == "ours" else f"{med / ours:.2f}"
        print(f"| {label(job, who)} | {len(ts)} | {med:.3f} | {min(ts):.3f}–{max(ts):.3f} | "
              f"{kb / 1024:.0f} | {ratio} |")
    print()
    for who in members:
        print(f"- {label(job, who)}: `{one(f'job.{job}.cmd.{who}').strip()}`")
    for n in meta.get(f"job.{job}.note", []):
        print(f"- note: {n}")
    if "gensim" in members and f"job.{job}.word" in meta:
        rounds = sorted(r for r, _, _ in runs[(job, "ours")])
        a_o, a_g = answers(job, "ours", rounds[0]), answers(job, "gensim", rounds[0])
        stable = all(answers(job, "ours", r) == a_o for r in rounds) and \
                 all(answers(job, "gensim", r) == a_g for r in rounds)
        if not a_o or not a_g:
            verdict = "NOT CHECKED (no answers parsed from one side)"
        elif a_o == a_g:
            verdict = f"yes, the same {len(a_o)} words in the same order"
        elif set(a_o) == set(a_g):
            verdict = "the same words, in a different order"
        else:
            verdict = f"NO: ours {', '.join(a_o)}; gensim {', '.join(a_g)}"
        print(f"- top-{len(a_o)} lists agree: {verdict}; every round gave the same answers: {'yes' if stable else 'NO'}")
        print(f"- ours answered with: `{first_line(job, 'ours', rounds[0])}`")
        loaded = sum(1 for r in rounds if "loading" in open(f"{logs}/{job}.ours.{r}.err").read())
        expect = "all" if job == "w2v-first" else "none"
        print(f"- ours' stderr showed the word2vec loader's progress (it read the .bin, not a cache) in "
              f"{loaded} of {len(rounds)} runs (expected: {expect})")
PYEOF
note "report written to $OUT"
