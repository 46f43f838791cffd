#!/usr/bin/python3
"""Writes model packages whose TorchScript decoder misbehaves, for the sandbox tests
(docs/reliability.md, "Untrusted models"). Each is a valid `torch-image` package
(docs/model-format.md) whose generator.pt is a real TorchScript program:

  OUT/good/      a tiny generator: z [B,4] -> [B,1,8,8] in [-1,1]
  OUT/crash/     its forward builds a sparse tensor with an unchecked index
                 (torch._sparse_coo_tensor_unsafe) and densifies it: LibTorch writes far
                 outside the buffer and the process dies with SIGSEGV
  OUT/hang/      its forward loops forever
  OUT/memory/    its forward fills a 16 GiB tensor

Usage: make_hostile_models.py OUT
"""
import json
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch

torch.set_num_threads(1)


class Good(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = torch.nn.Linear(4, 64)

    def forward(self, z):
        return torch.tanh(self.fc(z)).view(-1, 1, 8, 8)


class Crash(torch.nn.Module):
    def forward(self, z):
        index = torch.tensor([[100000000000]])
        s = torch._sparse_coo_tensor_unsafe(index, torch.ones(1), [4])
        return torch.zeros(z.size(0), 1, 8, 8) + s.to_dense().sum()


class Hang(torch.nn.Module):
    def forward(self, z):
        i = 0
        while i >= 0:
            i = (i + 1) % 1000
        return torch.zeros(z.size(0), 1, 8, 8)


class Memory(torch.nn.Module):
    def forward(self, z):
        big = torch.ones(1 << 32)  # 16 GiB, written to
        return torch.zeros(z.size(0), 1, 8, 8) + big[-1]


def package(out, name, module):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    torch.jit.script(module.eval()).save(os.path.join(d, "generator.pt"))
    header = {
        "format": "latent-studio-model", "format_version": 1,
        "kind": "torch-image", "name": "hostile-" + name, "latent_dim": 4,
        "observation": {"modality": "image", "width": 8, "height": 8, "channels": 1, "range": [0, 1]},
        "torch": {"decoder": {"file": "generator.pt", "format": "torchscript"}, "encoder": None,
                  "output_range": [-1, 1], "z_shape": "flat", "prior": "normal"},
        "training": {"data": "none: made by tests/interop/make_hostile_models.py"},
    }
    with open(os.path.join(d, "model.json"), "w") as f:
        json.dump(header, f, indent=2)


def main():
    out = sys.argv[1]
    for name, module in [("good", Good()), ("crash", Crash()), ("hang", Hang()), ("memory", Memory())]:
        package(out, name, module)
    print(out)


if __name__ == "__main__":
    main()
