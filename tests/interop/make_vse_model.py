#!/usr/bin/python3
"""Trains a small visual-semantic embedding (VSE) on synthetic pictures with known
captions, and exports it as a caption model for `latent story --caption-model`:

  OUT/caption-model.json   kind "caption-model" (docs/model-format.md)
  OUT/image_encoder.pt     TorchScript: images [B,3,32,32] in [0,1] -> [B,E]
  OUT/caption_encoder.pt   TorchScript: ids [B,T] int64, lengths [B] int64 -> [B,E]
  OUT/vocab.tsv            the caption encoder's words (same layout as a sentence model's)
  OUT/bank.txt             the caption bank: 3 phrasings of each of 12 scenes
  OUT/tests/<name>.png     fresh pictures (not trained on) and OUT/tests/expected.tsv

A scene is a coloured shape on a coloured ground: {red, green, blue} x {square, disc}
x {light, dark} ground. Pictures vary position, size and noise. Training: a hinge
ranking loss on matching picture/caption pairs, one thread, a fixed seed.
Usage: make_vse_model.py OUT
"""
import json
import os
import random
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
STEPS = 600
torch.manual_seed(0)
rng = random.Random(0)
np_rng = np.random.default_rng(0)

COLOURS = {"red": (0.9, 0.1, 0.1), "green": (0.1, 0.8, 0.2), "blue": (0.1, 0.2, 0.9)}
SHAPES = ["square", "disc"]
GROUNDS = {"light": 0.85, "dark": 0.12}
SCENES = [(c, s, g) for c in COLOURS for s in SHAPES for g in GROUNDS]
PHRASINGS = ["a {c} {s} on a {g} background", "{g} background with a {c} {s}", "there is a {c} {s} on {g}"]


def picture(scene, r):
    c, s, g = scene
    img = np.full((32, 32, 3), GROUNDS[g], dtype=np.float32)
    size = r.randint(7, 12)
    cx, cy = r.randint(size, 31 - size), r.randint(size, 31 - size)
    yy, xx = np.mgrid[0:32, 0:32]
    mask = (np.abs(xx - cx) <= size) & (np.abs(yy - cy) <= size) if s == "square" else (xx - cx) ** 2 + (yy - cy) ** 2 <= size * size
    img[mask] = COLOURS[c]
    img += np_rng.normal(0, 0.03, img.shape).astype(np.float32)
    return np.clip(img, 0, 1)


def tokenize(s):
    return s.lower().replace(",", " ,").split()


class ImageEncoder(nn.Module):
    def __init__(self, e=32):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc = nn.Linear(32 * 8 * 8, e)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        return F.normalize(self.fc(x.flatten(1)), dim=1)


class CaptionEncoder(nn.Module):
    def __init__(self, vocab, e=32):
        super().__init__()
        self.embedding = nn.Embedding(vocab, e, padding_idx=0)
        self.fc = nn.Linear(e, e)

    def forward(self, ids, lengths):
        mask = (ids != 0).float().unsqueeze(2)
        mean = (self.embedding(ids) * mask).sum(1) / lengths.clamp_min(1).float().unsqueeze(1)
        return F.normalize(self.fc(mean), dim=1)


def main(out):
    os.makedirs(os.path.join(out, "tests"), exist_ok=True)
    bank = [p.format(c=c, s=s, g=g) for (c, s, g) in SCENES for p in PHRASINGS]
    words = ["<pad>", "<unk>", "<bos>", "<eos>"]
    for b in bank:
        for t in tokenize(b):
            if t not in words:
                words.append(t)
    index = {w: i for i, w in enumerate(words)}

    def encode_captions(caps):
        ids = [[index.get(t, 1) for t in tokenize(c)] for c in caps]
        T = max(len(i) for i in ids)
        x = torch.zeros(len(ids), T, dtype=torch.long)
        for k, i in enumerate(ids):
            x[k, : len(i)] = torch.tensor(i)
        return x, torch.tensor([len(i) for i in ids])

    img_enc, cap_enc = ImageEncoder(), CaptionEncoder(len(words))
    opt = torch.optim.Adam(list(img_enc.parameters()) + list(cap_enc.parameters()), lr=3e-3)
    for step in range(STEPS):
        scenes = [rng.randrange(len(SCENES)) for _ in range(32)]
        imgs = torch.from_numpy(np.stack([picture(SCENES[s], rng) for s in scenes])).permute(0, 3, 1, 2)
        caps = [PHRASINGS[rng.randrange(3)].format(c=SCENES[s][0], s=SCENES[s][1], g=SCENES[s][2]) for s in scenes]
        ie = img_enc(imgs)
        ce = cap_enc(*encode_captions(caps))
        sim = ie @ ce.t()
        same = torch.tensor([[a == b for b in scenes] for a in scenes], dtype=torch.bool)
        pos = sim.diag().unsqueeze(1)
        loss = (F.relu(0.2 - pos + sim)[~same]).mean() + (F.relu(0.2 - pos.t() + sim)[~same]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    img_enc.eval()
    cap_enc.eval()
    torch.jit.script(img_enc).save(os.path.join(out, "image_encoder.pt"))
    torch.jit.script(cap_enc).save(os.path.join(out, "caption_encoder.pt"))
    with open(os.path.join(out, "vocab.tsv"), "w") as f:
        f.write("# caption model vocabulary\n")
        for i, w in enumerate(words):
            f.write(f"{i}\t{w}\t{w}\t0\t0\n")
    with open(os.path.join(out, "bank.txt"), "w") as f:
        f.write("\n".join(bank) + "\n")
    json.dump({"format": "latent-studio-model", "format_version": 1, "kind": "caption-model",
               "name": "synthetic-vse", "image_encoder": "image_encoder.pt", "caption_encoder": "caption_encoder.pt",
               "vocabulary": "vocab.tsv", "image_shape": [3, 32, 32], "bank": "bank.txt",
               "training": {"data": "synthetic coloured shapes", "steps": STEPS, "seed": 0, "final_loss": float(loss)}},
              open(os.path.join(out, "caption-model.json"), "w"), indent=2)
    # Fresh pictures the model has not seen, one per scene, with their scene's words.
    from PIL import Image
    test_rng = random.Random(123)
    bank_e = cap_enc(*encode_captions(bank))
    right = 0
    with open(os.path.join(out, "tests", "expected.tsv"), "w") as f:
        for k, sc in enumerate(SCENES):
            name = f"scene_{k:02d}.png"
            u8 = (picture(sc, test_rng) * 255).astype(np.uint8)
            Image.fromarray(u8).save(os.path.join(out, "tests", name))
            # What PyTorch retrieves for the saved picture (as the C++ side will read it).
            x = torch.from_numpy(u8.astype(np.float32) / 255).permute(2, 0, 1).unsqueeze(0)
            with torch.no_grad():
                best = int((bank_e @ img_enc(x).t()).view(-1).argmax())
            right += all(w in bank[best] for w in sc)
            f.write(f"{name}\t{sc[0]}\t{sc[1]}\t{sc[2]}\t{best}\n")
    print(json.dumps({"out": out, "final_loss": float(loss), "bank": len(bank), "pytorch_top1_right": right}))


if __name__ == "__main__":
    main(sys.argv[1])
