#!/usr/bin/python3
"""The peers' side of bench/run_whole_process.sh: one job per invocation, so that every
peer run is a fresh process (interpreter start, imports, reading the input, the work and
writing the result), timed from outside like `latent`.

  whole_process_peers.py numpy-pca   DATA OUT_DIR [--k 64] [--limit N]
  whole_process_peers.py sklearn-pca DATA OUT_DIR [--k 64] [--limit N]
  whole_process_peers.py gensim-bin-query FILE.bin WORD [--k 10]
  whole_process_peers.py gensim-kv-query  FILE.kv  WORD [--k 10]
  whole_process_peers.py gensim-save FILE.bin FILE.kv          (preparation, not timed)
  whole_process_peers.py query-word  FILE.bin [--seed 42] [--print-index]  (preparation, not timed)
  whole_process_peers.py versions                              (numpy, scikit-learn, gensim)
  whole_process_peers.py sklearn-tsne MODEL DATA OUT.csv [--perplexity 30] [--iterations 1000] [--seed 1]
  whole_process_peers.py umap-learn   MODEL DATA OUT.csv [--neighbors 15] [--min-dist 0.1] [--seed 1]
  whole_process_peers.py dcgan-sample MODEL OUT.png [--n 64] [--seed 0] [--threads 1]
  whole_process_peers.py dcgan-walk   MODEL OUT.mp4|OUT.gif|DIR/ [--seconds 2] [--fps 30] [--size 256]
                                      [--radius 1] [--speed 0.25] [--seed 0] [--batch 8] [--threads 1]
  whole_process_peers.py idx-subset SRC.gz N OUT               (preparation, not timed)
  whole_process_peers.py trust DATA MODEL CSV... [--sub 5000]  (quality, not timed)
  whole_process_peers.py dcgan-check MODEL Z.json OURS.f32     (equivalence, not timed)
  whole_process_peers.py walk-check MODEL OURS_DIR/ [walk options] (equivalence, not timed)
  whole_process_peers.py versions-extra                        (torch, PIL, umap-learn)

numpy-pca    reads the IDX .gz itself (gzip + numpy.frombuffer, bench/idx.py), scales the
             pixels by 1/255 to float32, then as a plain NumPy script would:
             mean = X.mean(0); Xc = X - mean; cov = Xc.T @ Xc / (n-1) (float32 throughout:
             the product goes to BLAS sgemm/ssyrk); np.linalg.eigh(cov) (float32 LAPACK
             ssyevd); keeps the top K; writes OUT_DIR/mean.npy and OUT_DIR/components.npy.
sklearn-pca  reads the data the same way; PCA(n_components=K, svd_solver='randomized',
             random_state=0).fit(X) (float32 kept); writes OUT_DIR/mean.npy and
             OUT_DIR/components.npy.
gensim-bin-query  KeyedVectors.load_word2vec_format(FILE, binary=True), then
             most_similar(WORD, topn=K) (its first call computes the norms of all vectors).
gensim-kv-query   KeyedVectors.load(FILE.kv, mmap='r'), then most_similar(WORD, topn=K).
gensim-save  load_word2vec_format, fill_norms(), save(FILE.kv, separately=['vectors',
             'norms']): the vectors and the norms are their own .npy files, so that load
             with mmap='r' maps both and the first query does not recompute the norms
             (gensim's fastest reopen).
query-word   the word at index splitmix64(seed) % count of a word2vec binary, found by
             walking its records (the first query word of bench/word_vectors_peers.py).

sklearn-tsne / umap-learn  what `latent project MODEL DATA --method tsne|umap` does, in
             Python: read the IDX file (uint8, /255 float32), read the PCA package MODEL
             (model.json, mean.f32, components.f32: little-endian float32) and encode
             z = (x - mean) C^T in float32 (NumPy/BLAS), then
             sklearn.manifold.TSNE(n_components=2, perplexity, n_iter, init='pca',
             learning_rate='auto', angle=0.5, method='barnes_hut', random_state=seed)
             (scikit-learn 1.2's defaults spelled out, as bench/projection_peers.py) or
             umap.UMAP(n_neighbors, min_dist, random_state=seed); writes OUT.csv as
             `latent project` does (index,name,x,y; names #0, #1, ...).
dcgan-sample loads the generator of a `latent train dcgan` package (model.json's arch
             dcgan-generator; generator.pt, written by LibTorch's torch::save, opened with
             torch.jit.load and its state dict loaded, as float32, into
             bench/torch_peers.py's DcganGenerator: the same layers under the same
             indices), draws N z ~ N(0, I) (torch.randn, seeded), decodes them in one
             batch under no_grad, maps output_range to [0, 1] and writes a PNG grid as
             `latent sample` lays it out (ceil(sqrt(N)) columns, 2-pixel white gaps), PIL.
dcgan-walk   the same generator; the closed random loop of `latent walk --random-walk`
             (src/core/walk.cpp's sinusoids, the same splitmix64 draws: the same z for
             every frame), frame i at i/fps, decoded BATCH frames at a time, enlarged
             (nearest) to SIZE, and either piped to ffmpeg with `latent walk`'s own
             arguments (rawvideo rgb24 -> libx264 -preset medium -crf 18, yuv420p,
             +faststart) as each batch is decoded, or written as a GIF by PIL (each frame
             median-cut quantised to 256 colours, looping, delays in hundredths as ours),
             or as PNG frames (DIR/frame_00000.png ...). A hand-written equivalent, not a
             library's walk exporter.
idx-subset   the first N images of an IDX file, written as an uncompressed IDX file.
trust        sklearn.manifold.trustworthiness(X, Y, n_neighbors=10) of each CSV layout on
             one subsample of SUB points (seeded, the same rows for every layout), X both
             the PCA encodings the layouts were made from and the raw pixels.
dcgan-check  decodes the z of Z.json and prints the largest difference from OURS.f32
             (`latent decode MODEL -z Z.json -o OURS.f32`): the peer's network is ours.
walk-check   decodes the walk (at the model's size) and compares it with ours' PNG frames.

The query jobs print the answers as `latent neighbors` does ("  1  word  0.1234"). Run with
Debian's /usr/bin/python3 (python3-numpy, python3-sklearn, python3-gensim; for the
projection, sample and walk jobs also umap-learn, python3-torch, python3-pil, ffmpeg). Only the
modules a job needs are imported.
"""
import argparse
import math
import os
import sys

from splitmix import MASK, splitmix64  # noqa: E402 (bench/splitmix.py)


def load_images(path, limit):
    import numpy as np
    from idx import read_idx_u8  # bench/idx.py: gzip + numpy.frombuffer
    x = read_idx_u8(path, limit)
    return x.reshape(len(x), -1).astype(np.float32) / np.float32(255.0)


def numpy_pca(args):
    import numpy as np
    x = load_images(args.data, args.limit)
    n = x.shape[0]
    mean = x.mean(axis=0)
    xc = x - mean
    cov = (xc.T @ xc) / np.float32(n - 1)  # float32
    w, v = np.linalg.eigh(cov)  # ascending
    components = np.ascontiguousarray(v[:, ::-1][:, :args.k].T)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "mean.npy"), mean)
    np.save(os.path.join(args.out, "components.npy"), components)
    top = w[::-1][:args.k]
    print(f"numpy-pca: {n} x {x.shape[1]} -> {args.k}, dtype {cov.dtype}, "
          f"explained {float(top.sum(dtype=np.float64) / w.sum(dtype=np.float64)):.6f}")


def sklearn_pca(args):
    import numpy as np
    from sklearn.decomposition import PCA
    x = load_images(args.data, args.limit)
    p = PCA(n_components=args.k, svd_solver="randomized", random_state=0).fit(x)
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "mean.npy"), p.mean_)
    np.save(os.path.join(args.out, "components.npy"), p.components_)
    print(f"sklearn-pca: {x.shape[0]} x {x.shape[1]} -> {args.k}, dtype {p.components_.dtype}, "
          f"explained {float(np.sum(p.explained_variance_ratio_, dtype=np.float64)):.6f}")


def gensim_kv():
    import logging
    logging.disable(logging.CRITICAL)
    from gensim.models import KeyedVectors
    return KeyedVectors


def print_answers(title, answers):
    print(title)
    for rank, (w, s) in enumerate(answers, 1):
        print(f"{rank:3d}  {w:<24s} {s:.4f}")


def gensim_bin_query(args):
    kv = gensim_kv().load_word2vec_format(args.file, binary=True)
    print_answers(f"neighbors of {args.word}  (gensim load_word2vec_format + most_similar)",
                  kv.most_similar(args.word, topn=args.k))


def gensim_kv_query(args):
    kv = gensim_kv().load(args.file, mmap="r")
    print_answers(f"neighbors of {args.word}  (gensim load(mmap='r') + most_similar)",
                  kv.most_similar(args.word, topn=args.k))


def gensim_save(args):
    kv = gensim_kv().load_word2vec_format(args.file, binary=True)
    kv.fill_norms()
    tmp = args.out + ".tmp"
    kv.save(tmp, separately=["vectors", "norms"])
    # save() writes TMP, TMP.vectors.npy and TMP.norms.npy; load() finds the arrays by
    # the name it is given, so rename the arrays first and the pickle last.
    for suffix in (".vectors.npy", ".norms.npy"):
        os.replace(tmp + suffix, args.out + suffix)
    os.replace(tmp, args.out)
    print(f"saved {args.file} as {args.out} (+ .vectors.npy, .norms.npy)", file=sys.stderr)


def query_word(args):
    with open(args.file, "rb", buffering=1 << 20) as f:
        count, dim = map(int, f.readline().split())
        target = splitmix64(args.seed) % count
        row = 4 * dim
        for i in range(target + 1):
            head = f.read(256)
            space = head.find(b" ")
            if space < 0:
                sys.exit(f"{args.file}: no word at record {i} of {count} (not a word2vec binary?)")
            if i == target:
                # word2vec.c writes a newline after each vector, before the next word.
                print(target if args.print_index else head[:space].lstrip(b"\n").decode("utf-8"))
                return
            f.seek(space + 1 - len(head) + row, os.SEEK_CUR)


def versions(_args):
    out = []
    for mod in ("numpy", "sklearn", "gensim"):
        try:
            m = __import__(mod)
            out.append(f"{mod} {m.__version__}")
        except ImportError:
            out.append(f"{mod} (not installed)")
    print(", ".join(out))


# ---------------------------------------------------------------- projections

def read_pca_package(model):
    """mean [d] and components [k, d] (float32) of a `latent fit-pca` package."""
    import json
    import numpy as np
    with open(os.path.join(model, "model.json")) as f:
        meta = json.load(f)
    if meta.get("kind") != "pca":
        sys.exit(f"{model}: kind '{meta.get('kind')}', not a PCA package")
    files = meta.get("files", {})
    mean = np.fromfile(os.path.join(model, files.get("mean", "mean.f32")), dtype="<f4")
    comps = np.fromfile(os.path.join(model, files.get("components", "components.f32")), dtype="<f4")
    k = int(meta["latent_dim"])
    if mean.size == 0 or comps.size != k * mean.size:
        sys.exit(f"{model}: {comps.size} component values for {k} x {mean.size}")
    return mean, comps.reshape(k, mean.size)


def encode_pca(x, mean, comps):
    """z = (x - mean) C^T, float32."""
    import numpy as np
    if x.shape[1] != mean.size:
        sys.exit(f"the data has {x.shape[1]} values per image, the model {mean.size}")
    return np.ascontiguousarray((x - mean) @ comps.T, dtype=np.float32)


def write_layout_csv(path, y):
    """index,name,x,y as `latent project` writes it (names #0, #1, ... for IDX items)."""
    lines = ["index,name,x,y\n"]
    lines += [f"{i},#{i},{a:.6g},{b:.6g}\n" for i, (a, b) in enumerate(y.tolist())]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(lines))
    os.replace(tmp, path)


def sklearn_tsne(args):
    import numpy as np
    from sklearn.manifold import TSNE
    mean, comps = read_pca_package(args.model)
    z = encode_pca(load_images(args.data, None), mean, comps)
    t = TSNE(n_components=2, perplexity=args.perplexity, n_iter=args.iterations, init="pca",
             learning_rate="auto", angle=0.5, method="barnes_hut", random_state=args.seed)
    y = t.fit_transform(z)
    write_layout_csv(args.out, y)
    print(f"sklearn-tsne: {z.shape[0]} x {z.shape[1]} -> 2, kl_divergence_ {float(t.kl_divergence_):.4f}, "
          f"n_iter_ {int(t.n_iter_)}, dtype {np.asarray(y).dtype}")


def umap_learn(args):
    import warnings
    mean, comps = read_pca_package(args.model)
    z = encode_pca(load_images(args.data, None), mean, comps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba deprecation notes; random_state -> one thread
        import umap
        y = umap.UMAP(n_neighbors=args.neighbors, min_dist=args.min_dist,
                      random_state=args.seed).fit_transform(z)
    write_layout_csv(args.out, y)
    print(f"umap-learn: {z.shape[0]} x {z.shape[1]} -> 2, n_neighbors {args.neighbors}, min_dist {args.min_dist}")


def idx_subset(args):
    from idx import read_idx_u8
    x = read_idx_u8(args.src, args.n)
    if x.shape[0] < args.n:
        sys.exit(f"{args.src} has only {x.shape[0]} items, {args.n} asked for")
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(bytes([0, 0, 8, x.ndim]))
        for d in x.shape:
            f.write(int(d).to_bytes(4, "big"))
        f.write(x.tobytes())
    os.replace(tmp, args.out)
    print(f"wrote the first {x.shape[0]} items of {args.src} to {args.out}", file=sys.stderr)


def read_layout_csv(path):
    import numpy as np
    rows = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(0, 2, 3), dtype=np.float64, ndmin=2,
                      comments=None)
    if not np.array_equal(rows[:, 0], np.arange(len(rows))):
        sys.exit(f"{path}: the rows are not 0, 1, 2, ... in order")
    return rows[:, 1:]


def trust(args):
    import numpy as np
    from sklearn.manifold import trustworthiness
    raw = load_images(args.data, None)
    mean, comps = read_pca_package(args.model)
    z = encode_pca(raw, mean, comps)
    n = raw.shape[0]
    sub = np.sort(np.random.default_rng(args.seed).choice(n, size=min(args.sub, n), replace=False))
    for path in args.csv:
        y = read_layout_csv(path)
        if y.shape[0] != n:
            sys.exit(f"{path}: {y.shape[0]} rows for {n} images")
        tz = trustworthiness(z[sub], y[sub], n_neighbors=10)
        tr = trustworthiness(raw[sub], y[sub], n_neighbors=10)
        print(f"{path}\t{len(sub)}\t{tz:.4f}\t{tr:.4f}")


# ---------------------------------------------------------------- DCGAN (sample, walk)

def load_dcgan(model, threads):
    """The generator of a `latent train dcgan` package as bench/torch_peers.py's DcganGenerator
    (float32, eval mode), and (lo, hi) of its output range."""
    import json
    import torch
    from torch_peers import DcganGenerator
    torch.set_num_threads(threads)
    with open(os.path.join(model, "model.json")) as f:
        meta = json.load(f)
    tj = meta.get("torch") or {}
    dec = tj.get("decoder") or {}
    arch = dec.get("arch") or {}
    if dec.get("format") != "libtorch" or arch.get("type") != "dcgan-generator":
        sys.exit(f"{model}: not a `latent train dcgan` package (decoder format {dec.get('format')}, "
                 f"arch {arch.get('type')})")
    g = DcganGenerator(size=int(arch["size"]), nz=int(arch["latent"]), ngf=int(arch["width"]),
                       nc=int(arch["channels"]))
    # torch::save names the Sequential `body`; torch_peers.py's is `main`, same indices.
    state = torch.jit.load(os.path.join(model, dec["file"]), map_location="cpu").state_dict()
    g.load_state_dict({("main." + k[5:] if k.startswith("body.") else k): v.float() for k, v in state.items()})
    g.eval()
    g.out_size = int(arch["size"])
    lo, hi = tj.get("output_range", [-1.0, 1.0])
    return g, float(lo), float(hi)


def to_unit(x, lo, hi):
    """[B,C,H,W] in [lo,hi] -> float [B,H,W,C] in [0,1] (as the C++ side's to_images)."""
    return ((x - lo) / (hi - lo)).clamp(0, 1).permute(0, 2, 3, 1).contiguous()


def to_u8(unit):
    """[0,1] floats -> uint8 NumPy, rounded half away from zero (std::lround, as ours)."""
    import numpy as np
    return np.floor(unit.numpy() * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)


def grid(images, cols, pad=2):
    """uint8 [N,H,W,C] -> one image as make_grid lays it out: white gaps of `pad` pixels."""
    import numpy as np
    n, h, w, c = images.shape
    cols = max(1, min(cols, n))
    rows = (n + cols - 1) // cols
    out = np.full((rows * h + (rows + 1) * pad, cols * w + (cols + 1) * pad, c), 255, dtype=np.uint8)
    for i in range(n):
        oy, ox = pad + (i // cols) * (h + pad), pad + (i % cols) * (w + pad)
        out[oy:oy + h, ox:ox + w] = images[i]
    return out


def save_png(a, path):
    from PIL import Image
    Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a).save(path)


def dcgan_sample(args):
    import math
    import torch
    g, lo, hi = load_dcgan(args.model, args.threads)
    z = torch.randn(args.n, g.nz, generator=torch.Generator().manual_seed(args.seed))
    with torch.no_grad():
        imgs = to_u8(to_unit(g(z), lo, hi))
    save_png(grid(imgs, math.ceil(math.sqrt(args.n))), args.out)
    print(f"dcgan-sample: {args.n} samples of {imgs.shape[1]}x{imgs.shape[2]}x{imgs.shape[3]} to {args.out}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")


def dcgan_check(args):
    import json
    import numpy as np
    import torch
    g, lo, hi = load_dcgan(args.model, 1)
    with open(args.z) as f:
        z = torch.tensor(json.load(f), dtype=torch.float32)[None]
    with torch.no_grad():
        peer = to_unit(g(z), lo, hi)[0].numpy()
    ours = np.fromfile(args.ours, dtype="<f4")
    if ours.size != peer.size:
        sys.exit(f"{args.ours}: {ours.size} values, the peer decoded {peer.size}")
    print(f"max |peer - ours| = {float(np.abs(peer.ravel() - ours).max()):.3g} over {peer.size} values in [0,1]")


def splitmix64_gen(seed):
    """The stream of a splitmix64 generator seeded with `seed` (as walk.cpp draws)."""
    state = seed & MASK
    while True:
        yield splitmix64(state)
        state = (state + 0x9E3779B97F4A7C15) & MASK


def random_loop(dim, seconds, fps, radius, speed, seed, scale=1.0):
    """The z of every frame of `latent walk --random-walk` (src/core/walk.cpp, centre 0):
    per dimension min(3, kmax) sinusoids of distinct whole cycles in 1..kmax (kmax =
    round(2 speed seconds - 1)), amplitudes 0.5 + 0.5 U normalised to unit mean square,
    phases 2 pi U; frame i at i / fps."""
    import numpy as np
    n = int(math.floor(seconds * fps + 0.5))
    wanted = min(2.0 * speed * seconds - 1.0, 1e6)
    kmax = max(1, int(math.floor(abs(wanted) + 0.5)) * (1 if wanted >= 0 else -1))
    per_dim = min(3, kmax)
    rng = splitmix64_gen(seed)
    uniform = lambda: (next(rng) >> 11) * 2.0 ** -53
    two_pi = 6.283185307179586476925286766559
    waves = []
    for _ in range(dim):
        w = []
        power = 0.0
        while len(w) < per_dim:
            k = 1.0 + float(next(rng) % kmax)
            if any(c == k for c, _, _ in w):
                continue
            a = 0.5 + 0.5 * uniform()
            w.append((k, a, two_pi * uniform()))
            power += a * a / 2
        norm = 1.0 / math.sqrt(power)
        waves.append([(c, a * norm, p) for c, a, p in w])
    out = np.empty((n, dim), dtype=np.float32)
    for i in range(n):
        t = i / fps
        theta = two_pi * (t / seconds - math.floor(t / seconds))
        for d in range(dim):
            g = sum(a * math.sin(c * theta + p) for c, a, p in waves[d])
            out[i, d] = radius * scale * g
    return out


def enlarge_size(h, w, size):
    """(height, width) of `latent walk --size`: the longer side = size, rounded."""
    if size <= 0:
        return h, w
    if w >= h:
        return max(1, int(math.floor(size * h / w + 0.5))), size
    return size, max(1, int(math.floor(size * w / h + 0.5)))


def dcgan_frames(g, lo, hi, zs, batch, height, width):
    """Decode zs `batch` at a time; yields uint8 [b,H,W,C] chunks enlarged (nearest) to height x width."""
    import numpy as np
    import torch
    for s in range(0, len(zs), batch):
        with torch.no_grad():
            u8 = to_u8(to_unit(g(torch.from_numpy(zs[s:s + batch])), lo, hi))
        h, w = u8.shape[1:3]
        if (h, w) != (height, width):
            ys = (np.arange(height) * h) // height
            xs = (np.arange(width) * w) // width
            u8 = np.ascontiguousarray(u8[:, ys][:, :, xs])
        yield u8


def dcgan_walk(args):
    import subprocess
    import time
    import torch
    g, lo, hi = load_dcgan(args.model, args.threads)
    zs = random_loop(g.nz, args.seconds, args.fps, args.radius, args.speed, args.seed)
    if len(zs) == 0:
        sys.exit("the walk is shorter than one frame")
    height, width = enlarge_size(g.out_size, g.out_size, args.size)
    out = args.out
    kind = "png" if out.endswith("/") else os.path.splitext(out)[1].lower().lstrip(".")
    if kind == "mp4":
        width += width % 2
        height += height % 2
    t0 = time.perf_counter()
    decode_s = 0.0
    frames = dcgan_frames(g, lo, hi, zs, args.batch, height, width)

    def timed_frames():
        nonlocal decode_s
        while True:
            d0 = time.perf_counter()
            chunk = next(frames, None)
            decode_s += time.perf_counter() - d0
            if chunk is None:
                return
            yield chunk

    if kind == "mp4":
        tmp = out + ".tmp.mp4"
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "rawvideo",
               "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{args.fps:.6g}", "-i", "-", "-an",
               "-c:v", "libx264", "-preset", "medium", "-crf", str(args.crf), "-pix_fmt", "yuv420p",
               "-movflags", "+faststart", "-f", "mp4", tmp]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        for chunk in timed_frames():
            if chunk.shape[3] == 1:
                chunk = chunk.repeat(3, axis=3)
            proc.stdin.write(chunk.tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            sys.exit(f"ffmpeg failed ({proc.returncode})")
        os.replace(tmp, out)
    elif kind == "gif":
        from PIL import Image
        pics = []
        for chunk in timed_frames():
            for f in chunk:
                im = Image.fromarray(f[:, :, 0] if f.shape[2] == 1 else f).convert("RGB")
                pics.append(im.quantize(256, method=Image.Quantize.MEDIANCUT))
        n = len(pics)
        # whole hundredths that add up to the right total, as ours (PIL takes milliseconds)
        delays = [10 * (round(100.0 * (i + 1) / args.fps) - round(100.0 * i / args.fps)) for i in range(n)]
        tmp = out + ".tmp.gif"
        pics[0].save(tmp, format="GIF", save_all=True, append_images=pics[1:], duration=delays, loop=0)
        os.replace(tmp, out)
    elif kind == "png":
        os.makedirs(out, exist_ok=True)
        i = 0
        for chunk in timed_frames():
            for f in chunk:
                save_png(f, os.path.join(out, f"frame_{i:05d}.png"))
                i += 1
    else:
        sys.exit(f"{out}: give .mp4, .gif or a folder ending in /")
    total = time.perf_counter() - t0
    print(f"dcgan-walk: {len(zs)} frames of {width}x{height} at {args.fps:g} fps to {out} in {total:.2f} s "
          f"(decode {decode_s:.2f} s, batches of {args.batch}), torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s)")


def walk_check(args):
    import numpy as np
    from PIL import Image
    g, lo, hi = load_dcgan(args.model, 1)
    zs = random_loop(g.nz, args.seconds, args.fps, args.radius, args.speed, args.seed)
    names = sorted(f for f in os.listdir(args.ours) if f.startswith("frame_") and f.endswith(".png"))
    if len(names) != len(zs):
        sys.exit(f"{args.ours}: {len(names)} frames, the peer's walk has {len(zs)}")
    peer = np.concatenate(list(dcgan_frames(g, lo, hi, zs, 64, g.out_size, g.out_size)))
    worst, differ = 0, 0
    for i, name in enumerate(names):
        a = np.asarray(Image.open(os.path.join(args.ours, name)).convert("RGB"), dtype=np.int16)
        d = np.abs(a - peer[i].astype(np.int16))
        worst = max(worst, int(d.max()))
        differ += int(np.count_nonzero(d))
    print(f"{len(names)} frames: max |peer - ours| = {worst} levels of 255, {differ} of {peer.size} values differ")


def versions_extra(_args):
    out = []
    for mod, label in (("torch", "torch"), ("PIL", "Pillow"), ("umap", "umap-learn"), ("numba", "numba")):
        try:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = __import__(mod)
            out.append(f"{label} {getattr(m, '__version__', '?')}")
        except ImportError:
            out.append(f"{label} (not installed)")
    print(", ".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="job", required=True)
    for name, fn in (("numpy-pca", numpy_pca), ("sklearn-pca", sklearn_pca)):
        p = sub.add_parser(name)
        p.add_argument("data")
        p.add_argument("out")
        p.add_argument("--k", type=int, default=64)
        p.add_argument("--limit", type=int, default=None)
        p.set_defaults(fn=fn)
    for name, fn in (("gensim-bin-query", gensim_bin_query), ("gensim-kv-query", gensim_kv_query)):
        p = sub.add_parser(name)
        p.add_argument("file")
        p.add_argument("word")
        p.add_argument("--k", type=int, default=10)
        p.set_defaults(fn=fn)
    p = sub.add_parser("gensim-save")
    p.add_argument("file")
    p.add_argument("out")
    p.set_defaults(fn=gensim_save)
    p = sub.add_parser("query-word")
    p.add_argument("file")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--print-index", action="store_true", help="print the word's index, not the word")
    p.set_defaults(fn=query_word)
    p = sub.add_parser("versions")
    p.set_defaults(fn=versions)
    p = sub.add_parser("versions-extra")
    p.set_defaults(fn=versions_extra)
    p = sub.add_parser("sklearn-tsne")
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("out")
    p.add_argument("--perplexity", type=float, default=30.0)
    p.add_argument("--iterations", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(fn=sklearn_tsne)
    p = sub.add_parser("umap-learn")
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("out")
    p.add_argument("--neighbors", type=int, default=15)
    p.add_argument("--min-dist", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(fn=umap_learn)
    p = sub.add_parser("idx-subset")
    p.add_argument("src")
    p.add_argument("n", type=int)
    p.add_argument("out")
    p.set_defaults(fn=idx_subset)
    p = sub.add_parser("trust")
    p.add_argument("data")
    p.add_argument("model")
    p.add_argument("csv", nargs="+")
    p.add_argument("--sub", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(fn=trust)
    p = sub.add_parser("dcgan-sample")
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(fn=dcgan_sample)
    p = sub.add_parser("dcgan-check")
    p.add_argument("model")
    p.add_argument("z")
    p.add_argument("ours")
    p.set_defaults(fn=dcgan_check)
    for name, fn in (("dcgan-walk", dcgan_walk), ("walk-check", walk_check)):
        p = sub.add_parser(name)
        p.add_argument("model")
        p.add_argument("out" if name == "dcgan-walk" else "ours")
        p.add_argument("--seconds", type=float, default=2.0)
        p.add_argument("--fps", type=float, default=30.0)
        p.add_argument("--radius", type=float, default=1.0)
        p.add_argument("--speed", type=float, default=0.25)
        p.add_argument("--seed", type=int, default=0)
        if name == "dcgan-walk":
            p.add_argument("--size", type=int, default=256)
            p.add_argument("--batch", type=int, default=8)
            p.add_argument("--crf", type=int, default=18)
            p.add_argument("--threads", type=int, default=1)
        p.set_defaults(fn=fn)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
