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
#   project-tsne  latent project PCA DATA --method tsne --perplexity 30 --seed 1 -o CSV vs
#               whole_process_peers.py sklearn-tsne (the same PCA package and data: encode,
#               TSNE(perplexity=30, n_iter=1000, init='pca', learning_rate='auto',
#               random_state=1), write the CSV). DATA: the first 10,000 Fashion-MNIST train
#               images as an uncompressed IDX file (written once to WP_DATA, untimed), PCA:
#               `latent fit-pca DATA -k 64` (fitted once per run, untimed), as in
#               bench/run_projection_bench.sh's PCA-64 rows
#   project-umap  latent project PCA DATA --method umap --neighbors 15 --min-dist 0.1 --seed 1
#               vs whole_process_peers.py umap-learn (UMAP(n_neighbors=15, min_dist=0.1,
#               random_state=1); numba compiles in every fresh process what its on-disk
#               cache lacks; one untimed run first fills that cache) and, where Rscript
#               and r-cran-uwot are installed, uwot::umap(n_neighbors=15, min_dist=0.1,
#               n_threads=nproc, n_sgd_threads=0) after set.seed(1), from an R script
#               written to the temporary folder
#               Both projection jobs report trust@10 (sklearn.manifold.trustworthiness,
#               n_neighbors=10) of every side's layout from its last run, on one seeded
#               5,000-point subsample, against the PCA encodings and the raw pixels (untimed)
#   sample      latent sample models/celeba-dcgan --n 64 --out PNG vs whole_process_peers.py
#               dcgan-sample (torch.jit.load of the package's generator.pt into
#               bench/torch_peers.py's DcganGenerator; 64 z ~ N(0, I) in one batch; a PNG
#               grid laid out as ours); an untimed check decodes one z on both sides
#   walk-export latent walk models/celeba-dcgan --random-walk --seconds 2 --fps 30 (60 frames,
#               256x256) --out FILE.mp4 vs whole_process_peers.py dcgan-walk: a hand-written
#               PyTorch equivalent (the same loop, the same z per frame, decoded 8 at a time,
#               enlarged, piped to ffmpeg with ours' arguments, or a GIF written by PIL);
#               an untimed check compares the frames at the model's size
# Both sides ask for the same word (bench/word_vectors_peers.py's first query word) and
# the report says whether the two top-10 lists agree. The report (Markdown) goes to
# stdout and to WP_OUT; progress lines go to stderr.
#
# Environment:
#   WP_OUT     the report file (default /tmp/whole_process.md)
#   WP_DATA    folder for the synthetic word2vec files, the caches and gensim's saved
#              vectors (default /tmp/wp-data; never inside the repository); missing
#              files are generated with bench/gen_word2vec_synthetic.py
#   WP_JOBS    the jobs to run, separated by spaces or commas (default: all of startup
#              fit-pca w2v-first cache cache-3m approx-3m project-tsne project-umap
#              sample walk-export; cache-3m and approx-3m still need WP_3M=1)
#   WP_SMALL=1 a small trial: PCA on the first 5000 images, a 20,000-word file; the
#              projections on the first 2000 images, sample --n 16, a 12-frame walk
#   WP_PROJ_N  images the projection jobs map (default 10,000; 2,000 with WP_SMALL=1).
#              Up to 60,000 they are the first of the train images; above, the train
#              then the test images (70,000), and past those shifted copies of both
#              (bench/gen_fmnist_million.py, up to 1,050,000). Between 50,001 and
#              100,000 the t-SNE job also runs ours with --fft-above 0 --approx-knn-above 0
#              (Barnes-Hut on the exact graph) as "ours-bh", the reference map
#   WP_PROJ_PEERS  the projection peers to run: all (default), none, or a list of
#              sklearn, umap-learn, uwot (a 70,000-point TSNE in scikit-learn takes long)
#   WP_TRUST_SUB  points in the trustworthiness subsample (default 5000)
#   WP_PROJ_K  components of the PCA package the projection jobs map (default 64; 784
#              keeps every dimension, a rotation of the raw pixels)
#   WP_WALK_FORMAT  mp4 (default; needs ffmpeg, else gif is used) or gif
#   WP_TORCH_THREADS  intra-op threads of both sides in sample and walk-export (default 1:
#              latent's default; the peer calls torch.set_num_threads)
#   WP_3M=1    also the cache job on a 3,000,000 x 300 file (3.6 GB; its cache and
#              gensim's copy as much again; free disk and memory are checked first)
#              and the approximate job on a clustered 3,000,000 x 300 file (its HNSW
#              index is built once, untimed here: about 35 minutes on 2 cores)
#   WP_KEEP=1  keep the raw outputs (the temporary folder is named at the end)
#   LATENT_FASHION_MNIST  the train-images IDX .gz (default: Debian's dataset-fashion-mnist)
#   PYTHON     default /usr/bin/python3 (Debian's: python3-numpy, python3-sklearn,
#              python3-gensim; umap-learn, python3-torch, python3-pil for the new jobs)
#   RSCRIPT    default Rscript (the uwot peer; skipped with a note when it or uwot is missing)
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
ALL_JOBS=(startup fit-pca w2v-first cache cache-3m approx-3m project-tsne project-umap sample walk-export)
WANTED=${WP_JOBS:-${ALL_JOBS[*]}}
WANTED=" ${WANTED//,/ } "
for j in $WANTED; do
  [[ " ${ALL_JOBS[*]} " == *" $j "* ]] || die "WP_JOBS: unknown job '$j' (known: ${ALL_JOBS[*]})"
done
[[ -n ${WANTED// /} ]] || die "WP_JOBS names no job (known: ${ALL_JOBS[*]})"
want() { [[ $WANTED == *" $1 "* ]]; }
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
[[ -z ${WP_JOBS:-} ]] || meta jobs "$(echo $WANTED)"
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
if want startup; then
members=(ours)
for m in numpy sklearn gensim; do has_module "$m" && members+=("$m"); done
meta job.startup.title "startup: start a process and end it (the floor under the jobs below; not a comparison)"
meta job.startup.cmd.ours "latent --version"
meta job.startup.cmd.numpy "python3 -c 'import numpy'"
meta job.startup.cmd.sklearn "python3 -c 'import sklearn.decomposition'"
meta job.startup.cmd.gensim "python3 -c 'import gensim.models'"
JOBS+=(startup)
interleave startup startup_run "${members[@]}"
fi

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
if ! want fit-pca; then
  :
elif [[ ! -f $IDX ]]; then
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
if ! want w2v-first; then
  :
elif ! ensure_bin "$W_N" "$W_NAME"; then
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
want cache && cache_job cache "$W_N" "$W_NAME" "cache: open the native cache ($W_N words x 300) + one query$small_note"

BIG_NAME=synthetic-3m-300.bin
big_title="cache-3m: open the native cache (3,000,000 words x 300) + one query"
if [[ $BIG != 1 ]]; then
  want cache-3m && meta skipped.3m "the 3M-word cache job did not run (set WP_3M=1 to run it)"
elif ! want cache-3m; then
  meta skipped.3m "WP_3M=1 is set, but cache-3m is not in WP_JOBS: it did not run"
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

# ---------------------------------------------------------------- 3b. approximate search, 3M
# The hard clustered set of docs/benchmarks.md (30,000 centres, noise twice their size):
# open the native cache and the memory-mapped HNSW index, answer one query. Against our
# own exact query on the same file (gensim has no approximate search to compare with).
APPROX_NAME=clustered-3m-300.bin
approx_title="approx-3m: open the native cache + the HNSW index (3,000,000 words x 300, clustered) + one approximate query"
approx_run() {  # WHO ROUND
  case $1 in
    ours) timed approx-3m ours "$2" "$LATENT" neighbors "$AJ_FILE" "$AJ_WORD" --k "$TOPN" --approx ;;
    exact) timed approx-3m exact "$2" "$LATENT" neighbors "$AJ_FILE" "$AJ_WORD" --k "$TOPN" ;;
    hnswlib) timed approx-3m hnswlib "$2" "$PY" "$HERE/ann_peers.py" --open-query "$AJ_HNSW" --dim 300 --query-id "$AJ_ID" ;;
  esac
}
if want approx-3m && [[ $BIG == 1 && $SMALL != 1 ]]; then
  AJ_FILE=$DATA/$APPROX_NAME
  if [[ ! -f $AJ_FILE ]] && has_module numpy; then
    note "generating $AJ_FILE (3,000,000 words x 300, 30,000 clusters, spread 2.0)"
    "$PY" "$HERE/gen_word2vec_synthetic.py" 3000000 300 "$AJ_FILE" --clusters 30000 --spread 2.0 || rm -f "$AJ_FILE"
  fi
  if [[ ! -f $AJ_FILE ]]; then
    skip_job approx-3m "$approx_title" "$AJ_FILE is missing and could not be generated (needs numpy)"
  else
    [[ -f $AJ_FILE.lsv ]] || "$LATENT" convert "$AJ_FILE" > "$LOGS/approx-3m.convert.out" 2> "$LOGS/approx-3m.convert.err" ||
      die "approx-3m: latent convert $AJ_FILE failed"
    if [[ ! -f $AJ_FILE.ann ]]; then
      note "approx-3m: building the index once (untimed here; see its own line in the report)"
      "$LATENT" build-index "$AJ_FILE" > "$LOGS/approx-3m.index.out" 2> "$LOGS/approx-3m.index.err" ||
        die "approx-3m: latent build-index $AJ_FILE failed"
      meta job.approx-3m.note "index: $(grep -a 'built in' "$LOGS/approx-3m.index.err" | tail -n 1)"
    fi
    AJ_WORD=$("$PY" "$PEERS" query-word "$AJ_FILE")
    warm "$AJ_FILE.lsv" "$AJ_FILE.ann"
    meta job.approx-3m.title "$approx_title"
    meta job.approx-3m.word "$AJ_WORD"
    meta job.approx-3m.file "$AJ_FILE ($(stat -c %s "$AJ_FILE") bytes; cache $(stat -c %s "$AJ_FILE.lsv") bytes; index $(stat -c %s "$AJ_FILE.ann") bytes)"
    meta job.approx-3m.label.exact "ours, exact"
    meta job.approx-3m.cmd.ours "latent neighbors $APPROX_NAME $AJ_WORD --k $TOPN --approx (cache and index memory-mapped)"
    meta job.approx-3m.cmd.exact "latent neighbors $APPROX_NAME $AJ_WORD --k $TOPN (exact: every vector read)"
    JOBS+=(approx-3m)
    # hnswlib's saved index of the same file (bench/ann_peers.py --save-hnswlib), when there is one.
    AJ_HNSW=${AJ_FILE%.bin}.hnsw
    if [[ -f $AJ_HNSW ]]; then
      AJ_ID=$("$PY" "$PEERS" query-word "$AJ_FILE" --print-index)
      warm "$AJ_HNSW"
      meta job.approx-3m.label.hnswlib "hnswlib: load its saved index + one query"
      meta job.approx-3m.cmd.hnswlib "ann_peers.py --open-query $(basename "$AJ_HNSW") (hnswlib.Index.load_index: graph and float32 vectors read into memory, $(stat -c %s "$AJ_HNSW") bytes) + knn_query of word $AJ_ID, ef 64"
      interleave approx-3m approx_run ours exact hnswlib
    else
      interleave approx-3m approx_run ours exact
    fi
  fi
elif want approx-3m; then
  meta skipped.3m "the approximate 3M job did not run (it needs WP_3M=1 and a full run)"
fi

# ---------------------------------------------------------------- 4-5. projections
# Both sides map the same matrix: the first PROJ_N images, encoded by one PCA package
# (fitted once per run by `latent fit-pca`, untimed). Ours reads the package and the IDX
# file and encodes; the peers read the same two and encode with NumPy (uwot: R).
if [[ $SMALL == 1 ]]; then PROJ_N=2000; else PROJ_N=10000; fi
PROJ_N=${WP_PROJ_N:-$PROJ_N}
[[ $PROJ_N =~ ^[1-9][0-9]*$ ]] || die "WP_PROJ_N must be a positive whole number, not '$PROJ_N'"
PROJ_K=${WP_PROJ_K:-64}
[[ $PROJ_K =~ ^[1-9][0-9]*$ ]] || die "WP_PROJ_K must be a positive whole number, not '$PROJ_K'"
TRUST_SUB=${WP_TRUST_SUB:-5000}
[[ $TRUST_SUB =~ ^[1-9][0-9]*$ ]] || die "WP_TRUST_SUB must be a positive whole number, not '$TRUST_SUB'"
PROJ_PEERS=" ${WP_PROJ_PEERS:-all} "
PROJ_PEERS=${PROJ_PEERS//,/ }
proj_peer() { [[ $PROJ_PEERS == *" all "* || $PROJ_PEERS == *" $1 "* ]]; }
PERPLEXITY=30 NEIGHBORS=15 MIN_DIST=0.1 PROJ_SEED=1
if ((PROJ_N <= 60000)); then
  PROJ_DATA=$DATA/$(basename "$IDX" .gz).first$PROJ_N
else
  PROJ_DATA=$DATA/fashion-mnist-train-test-shifted.first$PROJ_N.idx
fi
# What ours does at this size (latent/projection.h's defaults).
if ((PROJ_N > 50000)); then OURS_KNN="approximate k-NN (HNSW)"; else OURS_KNN="exact k-NN"; fi
if ((PROJ_N > 50000)); then OURS_TSNE="FFT-interpolated repulsion (FIt-SNE)"; else OURS_TSNE="Barnes-Hut"; fi
if ((PROJ_N > 10000)); then OURS_EPOCHS=200; else OURS_EPOCHS=500; fi
PROJ_MODEL=$WORK/fmnist-first$PROJ_N-pca$PROJ_K
RSCRIPT=${RSCRIPT:-Rscript}
UWOT_R=$WORK/uwot_peer.R
proj_ready=   # empty: not prepared yet; "ok"; or why the projection jobs cannot run

prepare_projection() {  # untimed, once for both projection jobs
  [[ -z $proj_ready ]] || return 0
  if [[ ! -f $IDX ]]; then
    proj_ready="$IDX not found (install dataset-fashion-mnist or set LATENT_FASHION_MNIST)"
    return 0
  fi
  if ! has_module numpy; then
    proj_ready="$PY lacks numpy (apt-get install python3-numpy): the IDX subset is written with it"
    return 0
  fi
  if [[ ! -f $PROJ_DATA || $IDX -nt $PROJ_DATA ]]; then
    if ((PROJ_N <= 60000)); then
      note "writing the first $PROJ_N images of $(basename "$IDX") to $PROJ_DATA (once, untimed)"
      "$PY" "$PEERS" idx-subset "$IDX" "$PROJ_N" "$PROJ_DATA" || die "could not write $PROJ_DATA"
    else
      note "writing $PROJ_N images (train, test, then shifted copies) to $PROJ_DATA (once, untimed)"
      "$PY" "$HERE/gen_fmnist_million.py" "$PROJ_DATA" --n "$PROJ_N" || die "could not write $PROJ_DATA"
    fi
  fi
  note "fitting the PCA-$PROJ_K package both sides read (untimed): latent fit-pca $(basename "$PROJ_DATA") -k $PROJ_K"
  "$LATENT" fit-pca "$PROJ_DATA" -k "$PROJ_K" -o "$PROJ_MODEL" > "$LOGS/project.fit-pca.out" 2> "$LOGS/project.fit-pca.err" ||
    { tail -n 20 "$LOGS/project.fit-pca.err" >&2; die "latent fit-pca $PROJ_DATA failed"; }
  [[ -f $PROJ_MODEL/mean.f32 && -f $PROJ_MODEL/components.f32 ]] || die "latent fit-pca wrote no $PROJ_MODEL/{mean,components}.f32"
  proj_ready=ok
}

cat > "$UWOT_R" <<'REOF'
# The uwot peer of bench/run_whole_process.sh's project-umap job: read the IDX file and the
# PCA package's mean.f32 / components.f32, encode z = (x - mean) C^T, uwot::umap, write
# the layout as `latent project` does (index,name,x,y).
a <- commandArgs(trailingOnly = TRUE)
if (length(a) != 9) stop("usage: uwot_peer.R MEAN.f32 COMPONENTS.f32 K DATA OUT.csv NEIGHBORS MIN_DIST SEED THREADS")
k <- as.integer(a[3]); nn <- as.integer(a[6]); md <- as.numeric(a[7])
seed <- as.integer(a[8]); threads <- as.integer(a[9])
suppressPackageStartupMessages(library(uwot))
con <- file(a[4], "rb")
magic <- readBin(con, "raw", 4)
if (magic[3] != as.raw(8)) stop(a[4], ": not a uint8 IDX file")
dims <- readBin(con, "integer", as.integer(magic[4]), size = 4, endian = "big")
n <- dims[1]; d <- prod(dims[-1])
px <- readBin(con, "raw", n * d)
close(con)
x <- matrix(as.integer(px), nrow = n, ncol = d, byrow = TRUE) / 255
mu <- readBin(a[1], "numeric", n = d, size = 4, endian = "little")
cm <- matrix(readBin(a[2], "numeric", n = k * d, size = 4, endian = "little"), nrow = k, byrow = TRUE)
z <- sweep(x, 2, mu) %*% t(cm)
set.seed(seed)
y <- umap(z, n_neighbors = nn, min_dist = md, n_threads = threads, n_sgd_threads = 0, verbose = FALSE)
i <- seq_len(n) - 1L
writeLines(c("index,name,x,y", sprintf("%d,#%d,%.6g,%.6g", i, i, y[, 1], y[, 2])), a[5])
cat(sprintf("uwot %s: %d x %d -> 2, n_neighbors %d, min_dist %g, %d thread(s)\n",
            as.character(packageVersion("uwot")), n, ncol(z), nn, md, threads))
REOF

project_run() {  # WHO ROUND (PJ_JOB, PJ_METHOD set by project_job)
  local csv=$WORK/$PJ_JOB.$1.csv
  rm -f "$csv"
  case $1 in
    ours)
      if [[ $PJ_METHOD == tsne ]]; then
        timed "$PJ_JOB" ours "$2" "$LATENT" project "$PROJ_MODEL" "$PROJ_DATA" --method tsne \
          --perplexity "$PERPLEXITY" --seed "$PROJ_SEED" -o "$csv"
      else
        timed "$PJ_JOB" ours "$2" "$LATENT" project "$PROJ_MODEL" "$PROJ_DATA" --method umap \
          --neighbors "$NEIGHBORS" --min-dist "$MIN_DIST" --seed "$PROJ_SEED" -o "$csv"
      fi ;;
    ours-bh) timed "$PJ_JOB" ours-bh "$2" "$LATENT" project "$PROJ_MODEL" "$PROJ_DATA" --method tsne \
               --perplexity "$PERPLEXITY" --seed "$PROJ_SEED" --fft-above 0 --approx-knn-above 0 -o "$csv" ;;
    sklearn) timed "$PJ_JOB" sklearn "$2" "$PY" "$PEERS" sklearn-tsne "$PROJ_MODEL" "$PROJ_DATA" "$csv" \
               --perplexity "$PERPLEXITY" --seed "$PROJ_SEED" ;;
    umap-learn) timed "$PJ_JOB" umap-learn "$2" "$PY" "$PEERS" umap-learn "$PROJ_MODEL" "$PROJ_DATA" "$csv" \
                  --neighbors "$NEIGHBORS" --min-dist "$MIN_DIST" --seed "$PROJ_SEED" ;;
    uwot) timed "$PJ_JOB" uwot "$2" "$RSCRIPT" --vanilla "$UWOT_R" "$PROJ_MODEL/mean.f32" "$PROJ_MODEL/components.f32" \
            "$PROJ_K" "$PROJ_DATA" "$csv" "$NEIGHBORS" "$MIN_DIST" "$PROJ_SEED" "$(nproc)" ;;
  esac
  [[ -s $csv ]] || die "$PJ_JOB: $1 wrote no $csv"
}

project_job() {  # JOB METHOD
  local job=$1 method=$2 title who csvs=() line i
  if [[ $method == tsne ]]; then
    title="project-tsne: latent project --method tsne (perplexity $PERPLEXITY) vs scikit-learn TSNE"
  else
    title="project-umap: latent project --method umap (n_neighbors $NEIGHBORS, min_dist $MIN_DIST) vs umap-learn and uwot"
  fi
  if ((PROJ_N <= 60000)); then title+=", the first $PROJ_N Fashion-MNIST images"
  elif ((PROJ_N <= 70000)); then title+=", $PROJ_N Fashion-MNIST images (train, then test)"
  else title+=", $PROJ_N Fashion-MNIST images (train and test, then shifted copies)"; fi
  title+=", PCA-$PROJ_K encodings"
  [[ $SMALL != 1 ]] || title+=" (WP_SMALL=1)"
  prepare_projection
  if [[ $proj_ready != ok ]]; then
    skip_job "$job" "$title" "$proj_ready"
    return 0
  fi
  members=(ours)
  if [[ $method == tsne ]]; then
    if ((PROJ_N > 50000 && PROJ_N <= 100000)); then
      members+=(ours-bh)
      meta "job.$job.label.ours-bh" "ours, Barnes-Hut on the exact graph"
      meta "job.$job.cmd.ours-bh" "latent project PCA DATA --method tsne --perplexity $PERPLEXITY --seed $PROJ_SEED --fft-above 0 --approx-knn-above 0 -o \$TMP/map.csv (exact k-NN, Barnes-Hut: the reference map)"
    fi
    if ! proj_peer sklearn; then
      meta "job.$job.note" "scikit-learn peer not asked for (WP_PROJ_PEERS)"
    elif has_module sklearn; then members+=(sklearn); else meta "job.$job.note" "scikit-learn peer skipped: $PY lacks sklearn (apt-get install python3-sklearn)"; fi
    meta "job.$job.label.sklearn" "scikit-learn TSNE"
    meta "job.$job.cmd.ours" "latent project PCA DATA --method tsne --perplexity $PERPLEXITY --seed $PROJ_SEED -o \$TMP/map.csv ($OURS_KNN, $OURS_TSNE, 1000 iterations: bench/run_projection_bench.sh's settings)"
    meta "job.$job.cmd.sklearn" "whole_process_peers.py sklearn-tsne PCA DATA \$TMP/map.csv: read the IDX (/255 float32) and the package's mean.f32 + components.f32, z = (x - mean) C^T (float32), TSNE(n_components=2, perplexity=$PERPLEXITY, n_iter=1000, init='pca', learning_rate='auto', angle=0.5, method='barnes_hut', random_state=$PROJ_SEED).fit_transform(z), write index,name,x,y"
  else
    if ! proj_peer umap-learn; then
      meta "job.$job.note" "umap-learn peer not asked for (WP_PROJ_PEERS)"
    elif has_module umap; then
      members+=(umap-learn)
      meta "job.$job.versions" "$("$PY" "$PEERS" versions-extra 2> /dev/null | cut -d, -f3- | sed "s/^ //")"
    else
      meta "job.$job.note" "umap-learn peer skipped: $PY lacks umap (apt-get install umap-learn)"
    fi
    if ! proj_peer uwot; then
      meta "job.$job.note" "uwot peer not asked for (WP_PROJ_PEERS)"
    elif ! command -v "$RSCRIPT" > /dev/null; then
      meta "job.$job.note" "uwot peer skipped: $RSCRIPT not found (apt-get install r-cran-uwot)"
    elif ! "$RSCRIPT" --vanilla -e 'suppressPackageStartupMessages(library(uwot))' > /dev/null 2>&1; then
      meta "job.$job.note" "uwot peer skipped: R has no uwot package (apt-get install r-cran-uwot)"
    else
      members+=(uwot)
      meta "job.$job.versions" "uwot $("$RSCRIPT" --vanilla -e 'cat(as.character(packageVersion("uwot")))' 2> /dev/null), $("$RSCRIPT" --version 2>&1 | head -n 1)"
    fi
    meta "job.$job.label.umap-learn" "umap-learn"
    meta "job.$job.label.uwot" "uwot (R)"
    meta "job.$job.cmd.ours" "latent project PCA DATA --method umap --neighbors $NEIGHBORS --min-dist $MIN_DIST --seed $PROJ_SEED -o \$TMP/map.csv ($OURS_KNN, $OURS_EPOCHS epochs)"
    meta "job.$job.cmd.umap-learn" "whole_process_peers.py umap-learn PCA DATA \$TMP/map.csv: the same read and encoding, umap.UMAP(n_neighbors=$NEIGHBORS, min_dist=$MIN_DIST, random_state=$PROJ_SEED).fit_transform(z) (NN-descent, spectral init, $OURS_EPOCHS epochs; numba compiles in each fresh process except what it finds in its on-disk cache), write index,name,x,y"
    meta "job.$job.cmd.uwot" "Rscript --vanilla uwot_peer.R: readBin of the IDX and of mean.f32 + components.f32, z = sweep(x, 2, mean) %*% t(C) (double), set.seed($PROJ_SEED); uwot::umap(z, n_neighbors=$NEIGHBORS, min_dist=$MIN_DIST, n_threads=$(nproc), n_sgd_threads=0) (Annoy k-NN, spectral init, $OURS_EPOCHS epochs), write index,name,x,y"
  fi
  meta "job.$job.title" "$title"
  meta "job.$job.file" "$PROJ_DATA ($PROJ_N x 784 uint8, uncompressed IDX); PCA package $(basename "$PROJ_MODEL") from latent fit-pca -k $PROJ_K"
  warm "$PROJ_DATA" "$PROJ_MODEL"/*.f32 "$PROJ_MODEL/model.json"
  PJ_JOB=$job PJ_METHOD=$method
  if [[ " ${members[*]} " == *" umap-learn "* ]]; then
    # numba keeps some of umap-learn's and pynndescent's compiled functions in an on-disk
    # cache: one untimed run first, so that every timed run finds it as a second run would.
    note "$job: one untimed umap-learn run first (fills numba's on-disk cache)"
    t0=$EPOCHREALTIME
    "$PY" "$PEERS" umap-learn "$PROJ_MODEL" "$PROJ_DATA" "$WORK/$job.warmup.csv" --neighbors "$NEIGHBORS" \
      --min-dist "$MIN_DIST" --seed "$PROJ_SEED" > "$LOGS/$job.warmup.out" 2> "$LOGS/$job.warmup.err" ||
      { tail -n 20 "$LOGS/$job.warmup.err" >&2; die "$job: the untimed umap-learn run failed"; }
    meta "job.$job.note" "umap-learn ran once, untimed, before the rounds (numba's on-disk cache filled); that run took $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }') s"
    ((PROJ_N >= 4096)) || meta "job.$job.note" "under 4096 points umap-learn finds the neighbours exactly (its small-data path), not by NN-descent"
  fi
  JOBS+=("$job")
  interleave "$job" project_run "${members[@]}"
  line=$(grep -ho 'mapped [0-9]* points with [a-z]* in [0-9.]* s' "$LOGS/$job.ours.1.err" | head -n 1 || true)
  [[ -z $line ]] || meta "job.$job.note" "ours (round 1) reports the map alone (no process start, reading or encoding): $line"
  if has_module sklearn; then
    for who in "${members[@]}"; do csvs+=("$WORK/$job.$who.csv"); done
    note "$job: trustworthiness of the layouts (untimed)"
    "$PY" "$PEERS" trust "$PROJ_DATA" "$PROJ_MODEL" "${csvs[@]}" --sub "$TRUST_SUB" > "$LOGS/$job.trust.tsv" 2> "$LOGS/$job.trust.err" ||
      { tail -n 20 "$LOGS/$job.trust.err" >&2; die "$job: the trustworthiness computation failed"; }
    i=0
    while IFS=$'\t' read -r _ sub tz tr; do
      meta "job.$job.trust.${members[i]}" "$sub $tz $tr"
      i=$((i + 1))
    done < "$LOGS/$job.trust.tsv"
  else
    meta "job.$job.note" "trustworthiness not computed: $PY lacks sklearn"
  fi
}

want project-tsne && project_job project-tsne tsne
want project-umap && project_job project-umap umap

# ---------------------------------------------------------------- 6-7. a DCGAN: sample, walk
GAN=$REPO/models/celeba-dcgan
GAN_REL=models/celeba-dcgan
T_THREADS=${WP_TORCH_THREADS:-1}
[[ $T_THREADS =~ ^[1-9][0-9]*$ ]] || die "WP_TORCH_THREADS must be a positive whole number, not '$T_THREADS'"
OURS_THREADS=()
[[ $T_THREADS == 1 ]] || OURS_THREADS=(--threads "$T_THREADS")
OT=${OURS_THREADS[*]:+ ${OURS_THREADS[*]}}  # for the command lines in the report
if [[ $SMALL == 1 ]]; then SAMPLE_N=16 WALK_SECONDS=0.4; else SAMPLE_N=64 WALK_SECONDS=2; fi
WALK_FPS=30 WALK_SIZE=256 WALK_BATCH=8
WALK_FRAMES=$(awk -v s="$WALK_SECONDS" -v f="$WALK_FPS" 'BEGIN { printf "%d", s * f + 0.5 }')
WALK_FORMAT=${WP_WALK_FORMAT:-mp4}
[[ $WALK_FORMAT == mp4 || $WALK_FORMAT == gif ]] || die "WP_WALK_FORMAT must be mp4 or gif, not '$WALK_FORMAT'"

warm_gan() { find "$GAN" -maxdepth 1 -type f -exec cat {} + > /dev/null; }

gan_missing() {  # prints why the DCGAN jobs cannot run, or nothing
  if [[ ! -f $GAN/model.json ]]; then echo "$GAN/model.json not found"
  elif ! has_module torch; then echo "$PY lacks torch (apt-get install python3-torch)"
  elif ! has_module PIL; then echo "$PY lacks PIL (apt-get install python3-pil)"
  fi
}

sample_run() {  # WHO ROUND
  local png=$WORK/sample.$1.png
  rm -f "$png"
  case $1 in
    ours) timed sample ours "$2" "$LATENT" sample "$GAN" --n "$SAMPLE_N" --out "$png" "${OURS_THREADS[@]}" ;;
    pytorch) timed sample pytorch "$2" "$PY" "$PEERS" dcgan-sample "$GAN" "$png" --n "$SAMPLE_N" --seed 0 --threads "$T_THREADS" ;;
  esac
  [[ -s $png ]] || die "sample: $1 wrote no $png"
}

sample_title="sample: $SAMPLE_N draws from the prior of $GAN_REL (DCGAN, 64x64 RGB) -> a PNG grid"
[[ $SMALL != 1 ]] || sample_title+=" (WP_SMALL=1)"
if want sample; then
  why=$(gan_missing)
  if [[ -n $why ]]; then
    skip_job sample "$sample_title" "$why"
  else
    meta job.sample.title "$sample_title"
    meta job.sample.label.pytorch "PyTorch"
    meta job.sample.cmd.ours "latent sample $GAN_REL --n $SAMPLE_N --out \$TMP/s.png$OT (z from mt19937_64, seed 0; one decode per sample; $T_THREADS intra-op thread(s))"
    meta job.sample.cmd.pytorch "whole_process_peers.py dcgan-sample $GAN_REL \$TMP/s.png --n $SAMPLE_N --threads $T_THREADS: import torch; torch.jit.load(generator.pt).state_dict() (float16) -> float32 into bench/torch_peers.py's DcganGenerator(size 64, nz 100, ngf 32); z = torch.randn($SAMPLE_N, 100) (seed 0); one batch under no_grad; the same grid (ceil(sqrt(n)) columns, 2-pixel white gaps) written by PIL; torch.set_num_threads($T_THREADS)"
    meta job.sample.versions "$("$PY" "$PEERS" versions-extra 2> /dev/null | cut -d, -f1-2)"
    meta job.sample.note "the two sides draw different z (ours mt19937_64 + std::normal_distribution, the peer torch.randn): the same amount of work, not the same images"
    # Untimed: the peer's network is ours (one z decoded on both sides).
    "$PY" -c 'import json, random; random.seed(5); print(json.dumps([random.gauss(0, 1) for _ in range(100)]))' > "$WORK/check-z.json"
    if "$LATENT" decode "$GAN" -z "$WORK/check-z.json" -o "$WORK/check-ours.f32" > /dev/null 2> "$LOGS/sample.check.err" &&
       check=$("$PY" "$PEERS" dcgan-check "$GAN" "$WORK/check-z.json" "$WORK/check-ours.f32" 2>> "$LOGS/sample.check.err"); then
      meta job.sample.note "check (untimed): one z decoded by both (latent decode ... -o z.f32 against the peer's network): $check"
    else
      meta job.sample.note "check (untimed) FAILED: $(tail -n 1 "$LOGS/sample.check.err")"
    fi
    warm_gan
    JOBS+=(sample)
    interleave sample sample_run ours pytorch
  fi
fi

walk_run() {  # WHO ROUND
  local out=$WORK/walk.$1.$WALK_FORMAT
  rm -f "$out"
  case $1 in
    ours) timed walk-export ours "$2" "$LATENT" walk "$GAN" --random-walk --seconds "$WALK_SECONDS" --fps "$WALK_FPS" \
            --size "$WALK_SIZE" --out "$out" "${OURS_THREADS[@]}" ;;
    pytorch) timed walk-export pytorch "$2" "$PY" "$PEERS" dcgan-walk "$GAN" "$out" --seconds "$WALK_SECONDS" \
               --fps "$WALK_FPS" --size "$WALK_SIZE" --batch "$WALK_BATCH" --threads "$T_THREADS" ;;
  esac
  [[ -s $out ]] || die "walk-export: $1 wrote no $out"
}

if want walk-export; then
  why=$(gan_missing)
  fmt_note=
  if [[ $WALK_FORMAT == mp4 ]] && ! command -v ffmpeg > /dev/null; then
    WALK_FORMAT=gif
    fmt_note="no ffmpeg on PATH: GIF instead of MP4 (apt-get install ffmpeg)"
  fi
  if [[ $WALK_FORMAT == mp4 ]]; then wf="MP4 (H.264, libx264 -preset medium -crf 18, via ffmpeg)"; else wf="GIF (256 colours per frame, median cut)"; fi
  walk_title="walk-export: a $WALK_FRAMES-frame random loop on $GAN_REL, ${WALK_SIZE}x$WALK_SIZE at $WALK_FPS fps -> $wf"
  [[ $SMALL != 1 ]] || walk_title+=" (WP_SMALL=1)"
  if [[ -n $why ]]; then
    skip_job walk-export "$walk_title" "$why"
  else
    meta job.walk-export.title "$walk_title"
    meta job.walk-export.versions "$("$PY" "$PEERS" versions-extra 2> /dev/null | cut -d, -f1-2)$([[ $WALK_FORMAT != mp4 ]] || echo "; $(ffmpeg -hide_banner -version 2> /dev/null | head -n 1 | cut -d" " -f1-3)")"
    meta job.walk-export.label.pytorch "PyTorch + $([[ $WALK_FORMAT == mp4 ]] && echo ffmpeg || echo PIL) (hand-written)"
    meta job.walk-export.cmd.ours "latent walk $GAN_REL --random-walk --seconds $WALK_SECONDS --fps $WALK_FPS --size $WALK_SIZE --out \$TMP/walk.$WALK_FORMAT$OT (radius 1, speed 0.25, seed 0; one decode per frame, each frame enlarged (nearest) and handed to the encoder as it is made)"
    if [[ $WALK_FORMAT == mp4 ]]; then
      peer_out="each batch's frames piped to ffmpeg as raw rgb24 at once, with ours' arguments (-c:v libx264 -preset medium -crf 18 -pix_fmt yuv420p -movflags +faststart)"
    else
      peer_out="all frames quantised by PIL (Image.quantize(256, MEDIANCUT)) and saved as one looping GIF"
    fi
    meta job.walk-export.cmd.pytorch "whole_process_peers.py dcgan-walk $GAN_REL \$TMP/walk.$WALK_FORMAT --seconds $WALK_SECONDS --fps $WALK_FPS --size $WALK_SIZE --batch $WALK_BATCH --threads $T_THREADS: a HAND-WRITTEN equivalent, not a library's exporter: the generator loaded as in sample; the same random loop (walk.cpp's sinusoids and splitmix64 draws, so the same z per frame); $WALK_BATCH frames per batch under no_grad; enlarged by NumPy indexing (nearest); $peer_out"
    [[ -z $fmt_note ]] || meta job.walk-export.note "$fmt_note"
    # Untimed: the frames at the model's size, ours (PNG frames) against the peer's decode.
    if "$LATENT" walk "$GAN" --random-walk --seconds "$WALK_SECONDS" --fps "$WALK_FPS" --size 0 --out "$WORK/walk-check/" \
         > /dev/null 2> "$LOGS/walk.check.err" &&
       check=$("$PY" "$PEERS" walk-check "$GAN" "$WORK/walk-check/" --seconds "$WALK_SECONDS" --fps "$WALK_FPS" 2>> "$LOGS/walk.check.err"); then
      meta job.walk-export.note "check (untimed): the walk at 64x64, ours (latent walk --size 0 --out DIR/) against the peer's z and network: $check"
    else
      meta job.walk-export.note "check (untimed) FAILED: $(tail -n 1 "$LOGS/walk.check.err")"
    fi
    rm -rf "$WORK/walk-check"
    warm_gan
    JOBS+=(walk-export)
    interleave walk-export walk_run ours pytorch
    for who in ours pytorch; do
      f=$WORK/walk.$who.$WALK_FORMAT
      if command -v ffprobe > /dev/null; then
        frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height \
                   -of csv=p=0 "$f" 2> /dev/null | head -n 1)
        meta job.walk-export.note "the file $who wrote (last round): $(stat -c %s "$f") bytes; ffprobe (width,height,frames): ${frames:-?}"
      else
        meta job.walk-export.note "the file $who wrote (last round): $(stat -c %s "$f") bytes"
      fi
    done
    d_ours=$(grep -ho 'decoding took [0-9.]* s' "$LOGS/walk-export.ours.1.err" | head -n 1 | grep -o '[0-9.]* s' || true)
    d_peer=$(grep -ho '(decode [0-9.]* s' "$LOGS/walk-export.pytorch.1.out" | head -n 1 | grep -o '[0-9.]* s' || true)
    meta job.walk-export.note "decoding alone, as each side reports it (round 1): ours ${d_ours:-?}, the peer ${d_peer:-?}"
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
label = lambda job, who: one(f"job.{job}.label.{who}", None) or (STARTUP if job == "startup" else LABEL).get(who, who)

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
for s in meta.get("jobs", []):
    print(f"- jobs (WP_JOBS): {s}")

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
    for v in meta.get(f"job.{job}.versions", []):
        print(f"- versions: {v}")
    trust = [(who, one(f"job.{job}.trust.{who}").split()) for who in members if f"job.{job}.trust.{who}" in meta]
    if trust:
        print(f"- trust@10 (sklearn.manifold.trustworthiness, n_neighbors=10; untimed; the last run's layouts, "
              f"one seeded subsample of {trust[0][1][0]} points): against the PCA encodings that were mapped / "
              "against the raw pixels: "
              + "; ".join(f"{label(job, who)} {t[1]} / {t[2]}" for who, t in trust))
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
