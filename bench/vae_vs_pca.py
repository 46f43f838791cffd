#!/usr/bin/python3
"""Held-out reconstruction error of PCA at the VAE's latent size, on the VAE's split.

`latent train vae` keeps the last `holdout` images out of training and records the RMSE
of decode(mean(encode(x))) on them in model.json (metrics.heldout_rmse, pixels in [0,1]).
This fits PCA with the same number of components on the same training images (numpy,
exact SVD of the centred data) and reports its RMSE on the same held-out images.

  bench/vae_vs_pca.py models/celeba-vae [DATA_DIR]
"""
import glob, json, os, sys

import numpy as np
from PIL import Image


def main():
    model = sys.argv[1]
    header = json.load(open(os.path.join(model, "model.json")))
    t = header["training"]
    data = sys.argv[2] if len(sys.argv) > 2 else t["data"]
    n_train, holdout, k = t["images"], t["holdout"], header["latent_dim"]
    files = sorted(glob.glob(os.path.join(data, "*.jpg")) + glob.glob(os.path.join(data, "*.png")))
    files = files[: n_train + holdout]
    x = np.stack([np.asarray(Image.open(f).convert("RGB"), dtype=np.float32).reshape(-1) / 255.0 for f in files])
    train, held = x[:n_train], x[n_train:]
    mean = train.mean(0)
    # Components from the Gram route: (N x N) eigenproblem is smaller than (D x D) here.
    _, _, vt = np.linalg.svd(train - mean, full_matrices=False)
    comps = vt[:k]
    rec = (held - mean) @ comps.T @ comps + mean
    rmse = float(np.sqrt(((rec - held) ** 2).mean()))
    rec_train = (train[:2000] - mean) @ comps.T @ comps + mean
    print(json.dumps({"components": k, "train_images": n_train, "heldout_images": holdout,
                      "pca_heldout_rmse": rmse,
                      "pca_train_rmse_first2000": float(np.sqrt(((rec_train - train[:2000]) ** 2).mean())),
                      "vae_heldout_rmse": header["metrics"].get("heldout_rmse")}))


if __name__ == "__main__":
    main()
