#!/usr/bin/python3
"""A million-image set for the map benchmarks (issue #17): Fashion-MNIST's 70,000 images
(train then test), each shifted by 15 small translations (zero fill), cut to N images.
Written as an uncompressed IDX file (N x 28 x 28 uint8) and a labels CSV (index,label,shift).

usage: gen_fmnist_million.py OUT.idx [--n 1000000] [--labels OUT.csv]
"""
import argparse
import gzip
import struct

import numpy as np

SRC = "/usr/share/datasets/fashion-mnist/"
SHIFTS = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (1, -1), (-1, 1),
          (2, 0), (-2, 0), (0, 2), (0, -2), (2, 2), (-2, -2)]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xff
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def shift(images, dx, dy):
    out = np.zeros_like(images)
    h, w = images.shape[1:]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[:, yd, xd] = images[:, ys, xs]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--labels")
    a = ap.parse_args()
    images = np.concatenate([read_idx(SRC + "train-images-idx3-ubyte.gz"), read_idx(SRC + "t10k-images-idx3-ubyte.gz")])
    labels = np.concatenate([read_idx(SRC + "train-labels-idx1-ubyte.gz"), read_idx(SRC + "t10k-labels-idx1-ubyte.gz")])
    copies = -(-a.n // len(images))
    if copies > len(SHIFTS):
        raise SystemExit(f"at most {len(SHIFTS) * len(images)} images")
    with open(a.out, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, a.n, 28, 28))
        left = a.n
        for dx, dy in SHIFTS[:copies]:
            take = min(left, len(images))
            f.write(shift(images[:take], dx, dy).tobytes())
            left -= take
    if a.labels:
        with open(a.labels, "w") as f:
            f.write("index,label,shift\n")
            for i in range(a.n):
                dx, dy = SHIFTS[i // len(images)]
                f.write(f"{i},{labels[i % len(images)]},{dx}:{dy}\n")


if __name__ == "__main__":
    main()
