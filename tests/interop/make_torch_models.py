#!/usr/bin/python3
"""Make small TorchScript models and PyTorch reference outputs for the C++ interop test.

Usage: /usr/bin/python3 tests/interop/make_torch_models.py OUTDIR

Deterministic (torch.manual_seed(0), one thread, PYTHONHASHSEED=0: byte-identical output). Writes into OUTDIR:
  dcgan_g.pt            DCGAN generator, z [B,16,1,1] -> [B,3,32,32] in [-1,1] (Tanh), eval mode,
                        BatchNorm running stats made non-trivial by train-mode passes
  vae_enc.pt            conv VAE encoder, x [B,1,32,32] in [0,1] -> (mu [B,8], logvar [B,8])
  vae_dec.pt            conv VAE decoder, z [B,8] -> [B,1,32,32] in [0,1] (Sigmoid)
  bad_shape.pt          z [B,8] -> [B,1,16,16]  (a shape that disagrees with model.json)
  nan_out.pt            z [B,8] -> [B,1,32,32] of NaN
  not_torchscript.pt    torch.save() of a state_dict: a zip, but not TorchScript
  random_bytes.pt       256 random bytes
  z_dcgan_K.json, ref_dcgan_K.f32   K = 0..3: z (16 floats) and ((out + 1) / 2) as HWC float32
  z_vae_K.json,   ref_vae_K.f32     K = 0..3: z (8 floats) and the decoder's output as HWC float32
  vae_input.f32, vae_input.png      a smooth 32x32 gray image (HWC float32) and its uint8 PNG
  ref_vae_mu.json, ref_vae_logvar.json          encoder output for vae_input.f32
  ref_vae_mu_png.json, ref_vae_logvar_png.json  encoder output for vae_input.png's bytes / 255
  manifest.json         what each file is (shapes, ranges, z shapes, conversions)
All .f32 files are raw little-endian float32, row-major, channels last, row 0 at the top.
JSON floats are float32 values written exactly (parse as double, then cast to float).
"""
import json
import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":  # TorchScript writes some sets in hash order:
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1")  # fix it for byte-identical .pt
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NZ_DCGAN, NGF, NC = 16, 8, 3
NZ_VAE, VAE_W = 8, 8
N_REFS = 4


class SmallDcganG(nn.Module):
    """nz=16 -> 4x4x32 -> 8x8x16 -> 16x16x8 -> 32x32x3, Tanh. Takes z as [B,nz,1,1]."""

    def __init__(self, nz=NZ_DCGAN, ngf=NGF, nc=NC):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class VaeEncoder(nn.Module):
    """1x32x32 -> 8x16x16 -> 16x8x8 -> 32x4x4 -> (mu, logvar); the trainer's layout with w=8."""

    def __init__(self, nc=1, w=VAE_W, latent=NZ_VAE):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(nc, w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.BatchNorm2d(4 * w), nn.LeakyReLU(0.2))
        self.mu = nn.Linear(4 * w * 16, latent)
        self.logvar = nn.Linear(4 * w * 16, latent)

    def forward(self, x):
        h = self.features(x).flatten(1)
        return self.mu(h), self.logvar(h)


class VaeDecoder(nn.Module):
    """z [B,8] -> Linear -> 32x4x4 -> 16x8x8 -> 8x16x16 -> 1x32x32, Sigmoid."""

    def __init__(self, nc=1, w=VAE_W, latent=NZ_VAE):
        super().__init__()
        self.w = w
        self.fc = nn.Linear(latent, 4 * w * 16)
        self.net = nn.Sequential(
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.ConvTranspose2d(w, nc, 4, 2, 1), nn.Sigmoid())

    def forward(self, z):
        h = F.relu(self.fc(z).view(-1, 4 * self.w, 4, 4))
        return self.net(h)


class BadShape(nn.Module):
    """z [B,8] -> [B,1,16,16] in [0,1]."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(NZ_VAE, 16 * 16)

    def forward(self, z):
        return torch.sigmoid(self.fc(z)).view(-1, 1, 16, 16)


class NanOut(nn.Module):
    """z [B,8] -> [B,1,32,32], every value NaN."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(NZ_VAE, 32 * 32)

    def forward(self, z):
        y = self.fc(z).view(-1, 1, 32, 32)
        return torch.full_like(y, float("nan"))


def spread_init(module, std):
    """Weights N(0, std) and BN affine away from (1, 0), so outputs use much of their range."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, std)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.2)
            nn.init.normal_(m.bias, 0.0, 0.1)
    return module


def settle_batchnorm(module, make_input, passes=20):
    """Train-mode forward passes so BN running_mean/var move away from 0/1; then eval()."""
    module.train()
    with torch.no_grad():
        for _ in range(passes):
            module(make_input())
    module.eval()
    return module


def save_script(module, path):
    torch.jit.script(module.eval()).save(path)


def write_f32(path, t):
    np.ascontiguousarray(t.detach().numpy(), dtype="<f4").tofile(path)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def f32_list(t):
    """Exact float32 values as Python floats (shortest repr round-trips through double)."""
    return [float(v) for v in t.detach().reshape(-1).numpy().astype(np.float32)]


def chw_to_hwc(t):
    """[1,C,H,W] -> [H,W,C] contiguous."""
    return t[0].permute(1, 2, 0).contiguous()


def smooth_image(size=32):
    """A smooth gray pattern in [0.02, 0.98] (blob plus waves), float32 [H,W]."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / (size - 1)
    v = 0.5 + 0.3 * np.exp(-((x - 0.45) ** 2 + (y - 0.55) ** 2) / 0.05) * np.cos(3.0 * x) \
        + 0.15 * np.sin(6.0 * x + 2.0 * y) - 0.1 * np.cos(5.0 * y)
    v = (v - v.min()) / (v.max() - v.min())
    return (0.02 + 0.96 * v).astype(np.float32)


def write_png_gray(path, u8):
    from PIL import Image  # python3-pil
    Image.fromarray(u8, mode="L").save(path)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_torch_models.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    p = lambda name: os.path.join(out, name)  # noqa: E731

    # --- models -----------------------------------------------------------------------
    gen = spread_init(SmallDcganG(), 0.15)
    settle_batchnorm(gen, lambda: torch.randn(16, NZ_DCGAN, 1, 1) * 1.5 + 0.3)
    save_script(gen, p("dcgan_g.pt"))

    enc, dec = spread_init(VaeEncoder(), 0.1), spread_init(VaeDecoder(), 0.1)
    settle_batchnorm(enc, lambda: torch.rand(16, 1, 32, 32))
    settle_batchnorm(dec, lambda: torch.randn(16, NZ_VAE))
    save_script(enc, p("vae_enc.pt"))
    save_script(dec, p("vae_dec.pt"))

    save_script(BadShape(), p("bad_shape.pt"))
    save_script(NanOut(), p("nan_out.pt"))
    torch.save(VaeDecoder().state_dict(), p("not_torchscript.pt"))  # zip archive, no TorchScript code
    with open(p("random_bytes.pt"), "wb") as f:
        f.write(torch.randint(0, 256, (256,), dtype=torch.uint8).numpy().tobytes())

    # --- references (computed with the reloaded TorchScript modules) -----------------
    gen_s, enc_s, dec_s = (torch.jit.load(p(n)) for n in ("dcgan_g.pt", "vae_enc.pt", "vae_dec.pt"))
    stats = {}
    with torch.no_grad():
        gmin, gmax = 1.0, 0.0
        for k in range(N_REFS):
            z = torch.randn(NZ_DCGAN)
            write_json(p(f"z_dcgan_{k}.json"), f32_list(z))
            img = chw_to_hwc((gen_s(z.view(1, NZ_DCGAN, 1, 1)) + 1) / 2)
            write_f32(p(f"ref_dcgan_{k}.f32"), img)
            gmin, gmax = min(gmin, img.min().item()), max(gmax, img.max().item())
        for k in range(N_REFS):
            z = torch.randn(NZ_VAE)
            write_json(p(f"z_vae_{k}.json"), f32_list(z))
            write_f32(p(f"ref_vae_{k}.f32"), chw_to_hwc(dec_s(z.view(1, NZ_VAE))))

        img = smooth_image(32)
        write_f32(p("vae_input.f32"), torch.from_numpy(img).view(32, 32, 1))
        u8 = np.round(img * 255.0).astype(np.uint8)
        write_png_gray(p("vae_input.png"), u8)
        mu, logvar = enc_s(torch.from_numpy(img).view(1, 1, 32, 32))
        write_json(p("ref_vae_mu.json"), f32_list(mu))
        write_json(p("ref_vae_logvar.json"), f32_list(logvar))
        x_png = torch.from_numpy(u8.astype(np.float32)).view(1, 1, 32, 32) / 255.0
        mu_png, logvar_png = enc_s(x_png)
        write_json(p("ref_vae_mu_png.json"), f32_list(mu_png))
        write_json(p("ref_vae_logvar_png.json"), f32_list(logvar_png))
        stats["dcgan_ref_min_max"] = [gmin, gmax]
        stats["dcgan_bn1_running_var"] = [gen.net[1].running_var.min().item(), gen.net[1].running_var.max().item()]
        stats["vae_mu_png_minus_float_abs_max"] = (mu_png - mu).abs().max().item()

    refs = lambda stem, ext: [f"{stem}_{k}.{ext}" for k in range(N_REFS)]  # noqa: E731
    manifest = {
        "generator": "tests/interop/make_torch_models.py",
        "torch_version": torch.__version__,
        "seed": 0,
        "layout": "f32 files: raw little-endian float32, HWC (row-major, channels last, row 0 at top)",
        "json_floats": "float32 values written exactly; parse as double and cast to float",
        "suggested_tolerance": {"abs": 1e-4, "note": "same float32 math, but conv algorithms may differ"},
        "models": {
            "dcgan_g": {
                "file": "dcgan_g.pt", "kind": "dcgan-generator", "format": "torchscript",
                "latent_dim": NZ_DCGAN, "z_shape": "4d", "input_shape": ["B", NZ_DCGAN, 1, 1],
                "output_shape": ["B", NC, 32, 32], "output_range": [-1, 1],
                "observation": {"modality": "image", "width": 32, "height": 32, "channels": NC, "range": [0, 1]},
                "to_observation": "(out + 1) / 2, float32, then CHW -> HWC",
                "z_files": refs("z_dcgan", "json"), "ref_files": refs("ref_dcgan", "f32"),
                "batchnorm": "eval mode, running stats non-trivial",
            },
            "vae_dec": {
                "file": "vae_dec.pt", "kind": "vae-decoder", "format": "torchscript",
                "latent_dim": NZ_VAE, "z_shape": "flat", "input_shape": ["B", NZ_VAE],
                "output_shape": ["B", 1, 32, 32], "output_range": [0, 1],
                "observation": {"modality": "image", "width": 32, "height": 32, "channels": 1, "range": [0, 1]},
                "to_observation": "none (sigmoid output), CHW -> HWC",
                "z_files": refs("z_vae", "json"), "ref_files": refs("ref_vae", "f32"),
            },
            "vae_enc": {
                "file": "vae_enc.pt", "kind": "vae-encoder", "format": "torchscript",
                "latent_dim": NZ_VAE, "input_shape": ["B", 1, 32, 32], "input_range": [0, 1],
                "output": "tuple (mu [B,8], logvar [B,8])",
                "inputs": {
                    "float": {"file": "vae_input.f32", "shape_hwc": [32, 32, 1],
                              "ref_mu": "ref_vae_mu.json", "ref_logvar": "ref_vae_logvar.json"},
                    "png": {"file": "vae_input.png", "format": "8-bit gray PNG = round(float * 255)",
                            "to_input": "uint8 / 255 (float32 division)",
                            "ref_mu": "ref_vae_mu_png.json", "ref_logvar": "ref_vae_logvar_png.json"},
                },
            },
            "bad_shape": {
                "file": "bad_shape.pt", "format": "torchscript", "latent_dim": NZ_VAE, "z_shape": "flat",
                "output_shape": ["B", 1, 16, 16], "expect": "error: output shape differs from model.json (1x32x32)",
            },
            "nan_out": {
                "file": "nan_out.pt", "format": "torchscript", "latent_dim": NZ_VAE, "z_shape": "flat",
                "output_shape": ["B", 1, 32, 32], "expect": "error: output contains NaN",
            },
            "not_torchscript": {
                "file": "not_torchscript.pt", "format": "torch.save() state_dict zip (not TorchScript)",
                "expect": "error on load",
            },
            "random_bytes": {"file": "random_bytes.pt", "format": "256 random bytes", "expect": "error on load"},
        },
        "stats": stats,
    }
    write_json(p("manifest.json"), manifest)
    print(f"make_torch_models: wrote 7 models, {2 * N_REFS} decoder references and encoder references "
          f"to {out} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
