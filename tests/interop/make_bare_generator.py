#!/usr/bin/python3
"""Bare TorchScript files as someone else's training would leave them, for the studio's
drop test: no package, no model.json, nothing said about sizes.

Usage: /usr/bin/python3 tests/interop/make_bare_generator.py OUTDIR
  gen.pt       z [B,24] -> [B,3,16,16] in [0,1] (Linear + Sigmoid), scripted
  enc.pt       its encoder: x [B,3,16,16] -> z [B,24] (Flatten + Linear), scripted
  identity.pt  z -> 2 z: runs for any input but never gives images
"""
import os
import sys

import torch


class Gen(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(24, 3 * 16 * 16)

    def forward(self, z):
        return torch.sigmoid(self.fc(z)).view(-1, 3, 16, 16)


class Enc(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3 * 16 * 16, 24)

    def forward(self, x):
        return self.fc(x.flatten(1))


class Identity(torch.nn.Module):
    def forward(self, z):
        return z * 2


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1)
    g = Gen().eval()
    with torch.no_grad():
        g.fc.weight.mul_(4.0)  # a spread of colours, not a flat grey
    torch.jit.script(g).save(os.path.join(out, "gen.pt"))
    torch.jit.script(Enc().eval()).save(os.path.join(out, "enc.pt"))
    torch.jit.script(Identity().eval()).save(os.path.join(out, "identity.pt"))


if __name__ == "__main__":
    main()
