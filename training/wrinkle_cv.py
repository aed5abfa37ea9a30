"""Wrinkle features against age on the cache of bench/wrinkle-features.ts (issue #13 section 4).

    node --import tsx bench/wrinkle-features.ts --half validation --out tmp/wf-val.jsonl
    /usr/bin/python3 -m training.wrinkle_cv tmp/wf-val.jsonl

Validation half only: it prints Spearman rho of age with the shipped densities, then, per part
(four zones and the cheeks) and for the overall figure, the 10-fold cross-validated rho of a
ridge regression of age on standardised features (the held-out folds' predictions pooled, lambda
from a fixed grid, so the best row is itself a little optimistic), and the resolution check
(rank partial correlation of age and density given the crop's inter-ocular distance or the face
size in the photo). numpy only (training/requirements-debian.txt).
"""
from __future__ import annotations

import json
import sys

import numpy as np
from .metrics import average_ranks as ranks, spearman

PARTS = ["forehead", "crows_feet", "under_eye", "nasolabial", "cheeks"]
LAMBDAS = [1, 3, 10, 30, 100, 300, 1000, 3000]


def partial(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
    """Rank partial correlation of x and y given z (residuals of a linear fit on z's ranks)."""
    rz = np.column_stack([ranks(z), np.ones(len(z))])
    res = lambda a: a - rz @ np.linalg.lstsq(rz, a, rcond=None)[0]
    return float(np.corrcoef(res(ranks(x)), res(ranks(y)))[0, 1])


def main(path: str) -> None:
    rows = [json.loads(line) for line in open(path)]
    assert all(r["half"] == "validation" for r in rows), "choices are made on the validation half only"
    age = np.array([r["age"] for r in rows], float)
    keys = sorted(set().union(*[r["f"].keys() for r in rows]))
    col = lambda k: np.array([r["f"].get(k, np.nan) for r in rows])
    folds = np.random.default_rng(0).permutation(len(rows)) % 10

    def cv(cols: list[str], lam: float) -> float:
        a = np.column_stack([col(k) for k in cols])
        ok = ~np.isnan(a).any(1)
        pred = np.full(len(rows), np.nan)
        for f in range(10):
            tr, te = ok & (folds != f), ok & (folds == f)
            mu, sd = a[tr].mean(0), a[tr].std(0) + 1e-12
            z = (a[tr] - mu) / sd
            w = np.linalg.solve(z.T @ z + lam * np.eye(z.shape[1]), z.T @ (age[tr] - age[tr].mean()))
            pred[te] = ((a[te] - mu) / sd) @ w
        return spearman(age[ok], pred[ok])

    def best(cols: list[str]) -> str:
        rho, lam = max((cv(cols, lam), lam) for lam in LAMBDAS)
        return f"{rho:.3f} (lambda {lam:g}, {len(cols)} features)"

    print(f"{len(rows)} faces, validation half")
    shipped = {"overall": np.array([r["shipped"]["density"] for r in rows])}
    for z in PARTS[:4]:
        shipped[z] = np.array([(r["shipped"]["per_region"][z] or {}).get("density", np.nan) for r in rows])
    for name, d in shipped.items():
        m = ~np.isnan(d)
        print(f"shipped {name}: rho {spearman(age[m], d[m]):.3f}")
    for part in PARTS:
        mine = [k for k in keys if k.startswith(part + ".")]
        ridge_only = [k for k in mine if ".L" not in k]
        top = max((spearman(age, col(k)), k) for k in mine)
        print(f"{part}: best single {top[1]} {top[0]:.3f}; CV ridge, ridge statistics {best(ridge_only)}; with L* statistics {best(mine)}")
    five = ["forehead.s1.h.d1"] + [f"{p}.s12.a.d1" for p in PARTS[1:]]
    print(f"overall: CV ridge on the five parts' densities {best(five)}")
    small = [k for k in keys if k.rsplit(".", 1)[-1] in ("d0.5", "d1", "d2", "p90") and k.split(".")[1] in ("s1", "s2", "s12")]
    print(f"overall: CV ridge on every part's small set {best(small)}")
    print(f"overall: mean of the five parts' ranks (no fit) {spearman(age, np.column_stack([ranks(col(k)) for k in five]).mean(1)):.3f}")
    for conf in ["iodPx", "faceSizePx"]:
        c = col(conf)
        q = np.percentile(c, [0, 50, 100])
        print(f"{conf}: {q[0]:.0f}/{q[1]:.0f}/{q[2]:.0f} px (min/median/max), rho with age {spearman(age, c):.3f}")
        for name, d in shipped.items():
            m = ~np.isnan(d)
            print(f"  {name}: rho(density, {conf}) {spearman(d[m], c[m]):.3f}; rho(age, density | {conf}) {partial(age[m], d[m], c[m]):.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tmp/wf-val.jsonl")
