#!/usr/bin/python3
"""PyTorch peers for the LibTorch benchmarks (decode latency, DCGAN and VAE training speed).

Subcommands (each prints one JSON object on stdout):
  decode --model FILE.pt --z-shape flat|4d --latent D --batch B --iters N --warmup W
      TorchScript forward under torch.no_grad(); {median_ms, p90_ms, images_per_s, ...}
  export-dcgan64 OUT.pt
      the pytorch/examples DCGAN generator (nz=100, ngf=64, nc=3, 64x64; z [B,100,1,1]),
      DCGAN init, eval mode, scripted
  train-dcgan --data DATA --size 64|32 --channels 3|1 --ngf 64 --ndf 64 --batch 64 --steps N
  train-vae   --data DATA --size 64 --channels 3 --width 32 --latent 128 --batch 64 --steps N
      train the same architectures as the C++ trainers on real data; {images_per_s, ...}

DATA is a folder of JPEG/PNG images (read with PIL), an IDX file (.gz or not, e.g.
Fashion-MNIST), or a raw uint8 NxHxWxC file `NAME.u8` / float32 `NAME.f32` in [0,1]
(with --raw-shape N,H,W,C). All of it is loaded into one float tensor before timing;
timing covers only the training steps, after --warmup (3) untimed steps.
Runs with one thread unless --threads says otherwise. Use Debian's /usr/bin/python3.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import torch
import torch.nn as nn
import torch.nn.functional as F

from idx import read_idx_u8

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".ppm")


# ----------------------------------------------------------------------------- models

def dcgan_init(module):
    """DCGAN init: conv weights N(0, 0.02), BN weight N(1, 0.02), BN bias 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


def up(cin, cout, first=False):
    """ConvTranspose2d (4,1,0 for the first layer, else 4,2,1) without bias."""
    return nn.ConvTranspose2d(cin, cout, 4, 1, 0, bias=False) if first else \
        nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)


class DcganGenerator(nn.Module):
    """z [B,nz] or [B,nz,1,1] -> [B,nc,S,S] in [-1,1]; S = 4 * 2^(number of stride-2 layers)."""

    def __init__(self, size=64, nz=100, ngf=64, nc=3):
        super().__init__()
        n_up = int(math.log2(size // 4))  # stride-2 layers: 4 for 64, 3 for 32
        mult = 2 ** (n_up - 1)            # 8 for 64, 4 for 32
        layers = [up(nz, ngf * mult, first=True), nn.BatchNorm2d(ngf * mult), nn.ReLU(True)]
        while mult > 1:
            layers += [up(ngf * mult, ngf * mult // 2), nn.BatchNorm2d(ngf * mult // 2), nn.ReLU(True)]
            mult //= 2
        layers += [up(ngf, nc), nn.Tanh()]
        self.nz = nz
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z.view(z.size(0), self.nz, 1, 1))


class DcganDiscriminator(nn.Module):
    """[B,nc,S,S] -> logits [B]."""

    def __init__(self, size=64, ndf=64, nc=3):
        super().__init__()
        n_down = int(math.log2(size // 4))
        layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        ch = ndf
        for _ in range(n_down - 1):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        layers += [nn.Conv2d(ch, 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x).view(-1)


class VaeEncoder(nn.Module):
    """[B,nc,S,S] in [0,1] -> (mu [B,D], logvar [B,D])."""

    def __init__(self, size=64, nc=3, width=32, latent=128):
        super().__init__()
        n_down = int(math.log2(size // 4))
        layers = [nn.Conv2d(nc, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for i in range(1, n_down):
            cin, cout = width * 2 ** (i - 1), width * 2 ** i
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True)]
        self.features = nn.Sequential(*layers)
        flat = width * 2 ** (n_down - 1) * 16
        self.mu = nn.Linear(flat, latent)
        self.logvar = nn.Linear(flat, latent)

    def forward(self, x):
        h = self.features(x).flatten(1)
        return self.mu(h), self.logvar(h)


class VaeDecoder(nn.Module):
    """z [B,D] -> [B,nc,S,S] in [0,1] (Sigmoid)."""

    def __init__(self, size=64, nc=3, width=32, latent=128):
        super().__init__()
        n_down = int(math.log2(size // 4))
        self.top = width * 2 ** (n_down - 1)
        self.fc = nn.Linear(latent, self.top * 16)
        layers = []
        for i in range(n_down - 1, 0, -1):
            cin, cout = width * 2 ** i, width * 2 ** (i - 1)
            layers += [nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(width, nc, 4, 2, 1), nn.Sigmoid()]
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(F.relu(self.fc(z).view(-1, self.top, 4, 4)))


def n_params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


# ----------------------------------------------------------------------------- data

def load_idx(path):
    """IDX uint8 images -> uint8 array [N,H,W,1]."""
    x = read_idx_u8(path)
    return x.reshape(x.shape[0], x.shape[1], x.shape[2] if x.ndim > 2 else 1, -1)


def load_folder(path, size, channels, limit):
    """Folder of images -> uint8 [N,S,S,C] (PIL; converted to L/RGB and resized bilinear if needed)."""
    from PIL import Image
    files = sorted(f for f in os.listdir(path) if f.lower().endswith(IMAGE_EXTS))
    if limit:
        files = files[:limit]
    if not files:
        raise ValueError(f"{path}: no images")
    out = np.empty((len(files), size, size, channels), dtype=np.uint8)
    for i, name in enumerate(files):
        with Image.open(os.path.join(path, name)) as im:
            im = im.convert("L" if channels == 1 else "RGB")
            if im.size != (size, size):
                im = im.resize((size, size), Image.BILINEAR)
            out[i] = np.asarray(im).reshape(size, size, channels)
    return out


def load_data(args):
    """-> float32 tensor [N,C,S,S] in [0,1], and a short description."""
    path = args.data
    if os.path.isdir(path):
        u8 = load_folder(path, args.size, args.channels, args.limit)
        x = torch.from_numpy(u8).permute(0, 3, 1, 2).float().div_(255.0)
    else:
        if "idx" in os.path.basename(path) or path.endswith(".gz"):
            x = torch.from_numpy(load_idx(path).copy()).permute(0, 3, 1, 2).float().div_(255.0)
        elif path.endswith(".u8") or path.endswith(".f32"):
            n, h, w, c = (int(v) for v in args.raw_shape.split(","))
            dtype = np.uint8 if path.endswith(".u8") else "<f4"
            a = np.fromfile(path, dtype=dtype).reshape(n, h, w, c)
            x = torch.from_numpy(a.astype(np.float32) / (255.0 if dtype == np.uint8 else 1.0)).permute(0, 3, 1, 2)
        else:
            raise ValueError(f"{path}: not a folder, IDX, .u8 or .f32 file")
        if args.limit:
            x = x[:args.limit]
        if x.size(1) != args.channels:
            x = x.mean(1, keepdim=True) if args.channels == 1 else x.expand(-1, args.channels, -1, -1)
        if x.size(2) != args.size or x.size(3) != args.size:
            x = F.interpolate(x, size=(args.size, args.size), mode="bilinear", align_corners=False)
    x = x.contiguous()
    return x, f"{path} ({x.size(0)} x {x.size(1)}x{x.size(2)}x{x.size(3)})"


def batches(n, batch, gen):
    """Endless random mini-batch indices: a fresh permutation each epoch, last partial batch dropped."""
    while True:
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n - batch + 1, batch):
            yield perm[i:i + batch]


# ----------------------------------------------------------------------------- commands

def set_threads(n):
    torch.set_num_threads(n)
    return n


def cmd_decode(args):
    set_threads(args.threads)
    model = torch.jit.load(args.model)
    model.eval()
    shape = (args.batch, args.latent) if args.z_shape == "flat" else (args.batch, args.latent, 1, 1)
    z = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    times = []
    with torch.no_grad():
        for i in range(args.warmup + args.iters):
            t0 = time.perf_counter()
            out = model(z)
            dt = time.perf_counter() - t0
            if i >= args.warmup:
                times.append(dt * 1e3)
    times.sort()
    median = statistics.median(times)
    p90 = times[min(len(times) - 1, int(math.ceil(0.9 * len(times))) - 1)]
    print(json.dumps({"peer": "pytorch-torchscript", "model": args.model, "batch": args.batch,
                      "z_shape": list(shape), "output_shape": list(out.shape), "iters": args.iters,
                      "median_ms": round(median, 4), "p90_ms": round(p90, 4),
                      "images_per_s": round(args.batch / (median / 1e3), 2),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


def cmd_export_dcgan64(args):
    torch.manual_seed(0)
    g = dcgan_init(DcganGenerator(size=64, nz=100, ngf=64, nc=3)).eval()
    torch.jit.script(g).save(args.out)
    print(json.dumps({"out": args.out, "params": n_params(g), "z_shape": [1, 100, 1, 1],
                      "output_shape": [1, 3, 64, 64], "output_range": [-1, 1]}))


def timed_steps(step, warmup, steps):
    """Run warmup untimed steps, then `steps` timed ones; -> (total_s, per-step ms list, last result)."""
    for _ in range(warmup):
        step()
    ms, res = [], None
    t_all = time.perf_counter()
    for _ in range(steps):
        t0 = time.perf_counter()
        res = step()
        ms.append((time.perf_counter() - t0) * 1e3)
    return time.perf_counter() - t_all, ms, res


def cmd_train_dcgan(args):
    set_threads(args.threads)
    t0 = time.perf_counter()
    data, desc = load_data(args)
    load_s = time.perf_counter() - t0
    torch.manual_seed(args.seed)
    g = dcgan_init(DcganGenerator(args.size, args.nz, args.ngf, args.channels)).train()
    d = dcgan_init(DcganDiscriminator(args.size, args.ndf, args.channels)).train()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(args.batch), torch.zeros(args.batch)
    idx = batches(data.size(0), args.batch, torch.Generator().manual_seed(args.seed))

    def step():
        real = data.index_select(0, next(idx)).mul_(2).sub_(1)  # [0,1] -> [-1,1]
        fake = g(torch.randn(args.batch, args.nz))
        opt_d.zero_grad(set_to_none=True)
        loss_d = bce(d(real), ones) + bce(d(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        loss_g = bce(d(fake), ones)  # non-saturating generator loss
        loss_g.backward()
        opt_g.step()
        return loss_d.item(), loss_g.item()

    total, ms, (loss_d, loss_g) = timed_steps(step, args.warmup, args.steps)
    print(json.dumps({"peer": "pytorch", "task": "train-dcgan", "data": desc, "size": args.size,
                      "channels": args.channels, "nz": args.nz, "ngf": args.ngf, "ndf": args.ndf,
                      "batch": args.batch, "steps": args.steps,
                      "images_per_s": round(args.steps * args.batch / total, 2),
                      "step_ms_median": round(statistics.median(ms), 2), "train_s": round(total, 3),
                      "load_s": round(load_s, 2), "params_g": n_params(g), "params_d": n_params(d),
                      "loss_d": round(loss_d, 4), "loss_g": round(loss_g, 4),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


def cmd_train_vae(args):
    set_threads(args.threads)
    t0 = time.perf_counter()
    data, desc = load_data(args)
    load_s = time.perf_counter() - t0
    torch.manual_seed(args.seed)
    enc = VaeEncoder(args.size, args.channels, args.width, args.latent).train()
    dec = VaeDecoder(args.size, args.channels, args.width, args.latent).train()
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)
    idx = batches(data.size(0), args.batch, torch.Generator().manual_seed(args.seed))

    def step():
        x = data.index_select(0, next(idx))
        mu, logvar = enc(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)  # reparameterization
        xhat = dec(z)
        rec = F.binary_cross_entropy(xhat, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = (rec + args.beta * kl) / x.size(0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item(), rec.item() / x.size(0), kl.item() / x.size(0)

    total, ms, (loss, rec, kl) = timed_steps(step, args.warmup, args.steps)
    print(json.dumps({"peer": "pytorch", "task": "train-vae", "data": desc, "size": args.size,
                      "channels": args.channels, "width": args.width, "latent": args.latent,
                      "beta": args.beta, "batch": args.batch, "steps": args.steps,
                      "images_per_s": round(args.steps * args.batch / total, 2),
                      "step_ms_median": round(statistics.median(ms), 2), "train_s": round(total, 3),
                      "load_s": round(load_s, 2), "params": n_params(enc, dec),
                      "loss": round(loss, 3), "bce": round(rec, 3), "kl": round(kl, 3),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


# ----------------------------------------------------------------------------- CLI

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("decode", help="time a TorchScript model's forward")
    p.add_argument("--model", required=True)
    p.add_argument("--z-shape", choices=["flat", "4d"], default="flat")
    p.add_argument("--latent", type=int, required=True)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--iters", type=int, default=100)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser("export-dcgan64", help="write the pytorch/examples DCGAN generator as TorchScript")
    p.add_argument("out")
    p.set_defaults(func=cmd_export_dcgan64)

    for name, func in (("train-dcgan", cmd_train_dcgan), ("train-vae", cmd_train_vae)):
        p = sub.add_parser(name, help=f"time {name[6:].upper()} training steps")
        p.add_argument("--data", required=True, help="image folder, IDX(.gz) file, or raw .u8/.f32")
        p.add_argument("--raw-shape", default="", help="N,H,W,C for a raw .u8/.f32 file")
        p.add_argument("--limit", type=int, default=0, help="load at most this many images (0: all)")
        p.add_argument("--size", type=int, choices=[32, 64], default=64)
        p.add_argument("--channels", type=int, choices=[1, 3], default=3)
        p.add_argument("--batch", type=int, default=64)
        p.add_argument("--steps", type=int, default=20)
        p.add_argument("--warmup", type=int, default=3)
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--seed", type=int, default=0)
        if name == "train-dcgan":
            p.add_argument("--nz", type=int, default=100)
            p.add_argument("--ngf", type=int, default=64)
            p.add_argument("--ndf", type=int, default=64)
        else:
            p.add_argument("--width", type=int, default=32)
            p.add_argument("--latent", type=int, default=128)
            p.add_argument("--beta", type=float, default=1.0)
        p.set_defaults(func=func)

    args = ap.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
