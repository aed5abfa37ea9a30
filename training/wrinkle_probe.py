"""Probe (not shipped): how far frozen backbone features pooled over the wrinkle parts follow age.

    node --import tsx bench/wrinkle-crops.ts --half validation
    /usr/bin/python3 -m training.wrinkle_probe

Issue #13 section 4's second route is a learned head on the classifier backbone's features pooled
over the wrinkle zones. Before any export, this measures what such a head could reach on the
VALIDATION half only: multi.py's FeatureBackbone('b13+pooled', maps=True) (the 3.1.x models'
feature set, 192-px input: the 384-px crops box-resized, normalised with spec.py's MEAN/STD) gives
1856 features per part by region_pool with bench/wrinkle-crops.ts's weights; then a ridge
regression of age on one part's standardised features (dual form, n << p), 10-fold cross
validated (held-out predictions pooled), Spearman rho with age per lambda of a fixed grid.
Age is a weak label for wrinkles: whatever these features see that changes with age (hair,
face shape, skin tone) counts, so the whole-skin and global rows are printed beside the zones.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .backbone.multi import FeatureBackbone
from .spec import MEAN, STD
from .metrics import average_ranks as ranks, spearman

DUMP = Path(__file__).resolve().parent.parent / "tmp" / "wrinkle-crops"
PARTS = ["global", "forehead", "crows_feet", "under_eye", "nasolabial", "cheeks", "skin"]
LAMBDAS = [100, 300, 1000, 3000, 10000, 30000]


def features(half: str) -> tuple[np.ndarray, np.ndarray]:
    meta = json.loads((DUMP / f"{half}.json").read_text())
    n = len(meta)
    crops = np.fromfile(DUMP / f"{half}.u8", np.uint8).reshape(n, 384, 384, 3)
    w = np.fromfile(DUMP / f"{half}.w.f32", np.float32).reshape(n, len(PARTS) - 1, 144)
    net = FeatureBackbone("b13+pooled", maps=True).eval()
    out = []
    with torch.no_grad():
        for i in range(0, n, 16):
            x = np.stack([np.asarray(Image.fromarray(c).resize((192, 192), Image.BOX)) for c in crops[i : i + 16]])
            x = (x.astype(np.float32) / 255 - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
            f, fr = net.region_pool(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(w[i : i + 16]))
            out.append(torch.cat([f.unsqueeze(1), fr], 1).numpy())
    return np.concatenate(out), np.array([m["age"] for m in meta], float)


def cv_rho(a: np.ndarray, age: np.ndarray, lam: float, folds: np.ndarray) -> float:
    pred = np.zeros(len(age))
    for f in range(10):
        tr, te = folds != f, folds == f
        mu, sd = a[tr].mean(0), a[tr].std(0) + 1e-6
        z = (a[tr] - mu) / sd
        alpha = np.linalg.solve(z @ z.T + lam * np.eye(int(tr.sum())), age[tr] - age[tr].mean())
        pred[te] = ((a[te] - mu) / sd) @ (z.T @ alpha)
    return spearman(age, pred)


def main() -> None:
    torch.set_num_threads(2)
    feats, age = features("validation")
    folds = np.random.default_rng(0).permutation(len(age)) % 10
    print(f"{len(age)} faces, validation half; 10-fold CV Spearman rho of age, ridge on 1856 pooled features")
    for j, part in enumerate(PARTS):
        print(part, " ".join(f"lambda {lam:g}: {cv_rho(feats[:, j], age, lam, folds):.3f}" for lam in LAMBDAS))


if __name__ == "__main__":
    main()
