"""Reading uint8 IDX files (the MNIST family, optionally gzipped) for the peer scripts."""
import gzip

import numpy as np


def read_idx_u8(path, limit=None):
    """The first `limit` (default: all) items of a uint8 IDX file, shape [N, d1, d2, ...]."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic >> 8 != 0x08:  # unsigned byte data
        raise ValueError(f"{path}: not a uint8 IDX file (magic {magic:#x})")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    n = dims[0] if limit is None else min(dims[0], limit)
    per = int(np.prod(dims[1:]))
    data = np.frombuffer(raw, dtype=np.uint8, count=n * per, offset=4 + 4 * ndim)
    return data.reshape([n] + dims[1:])
