"""Export the trained default models to models/, make INT8 variants, write metrics JSON,
model cards and registry entries (models/manifest.json).

    /usr/bin/python3 -m training.register --run-dir training/runs/seed42 [--version 2.0.0]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import torch

from . import data as D
from . import metrics as M
from .export import compare_torch_ort, export_onnx, ort_bench, ort_logits, softmax
from .models import ARCH_DESCRIPTIONS, build, n_params
from .quantize import quantize_qdq
from .spec import manifest_input

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"
CKPT = REPO / "training" / "checkpoints"
MAX_BYTES = 10 * 1024 * 1024
LICENSE = ("research and non-commercial use only: trained on images without open licences "
           "(DermNet-watermarked, UTKFace/CelebA non-commercial terms, ACNE04); see ../shared/datasets/README.md")


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_manifest() -> dict:
    p = MODELS / "manifest.json"
    return json.loads(p.read_text()) if p.exists() else {"models": []}


def save_manifest(man: dict) -> None:
    man["models"].sort(key=lambda e: (e["task"], e["name"], e["version"]))
    (MODELS / "manifest.json").write_text(json.dumps(man, indent=2) + "\n")


def upsert(man: dict, entry: dict) -> None:
    """Add `entry`, replacing the entry of the same name and version only if it names the same file
    (a re-run of the same registration). An existing version that names another file is refused:
    silently replacing it would change what a version means (e.g. 3.0.1 = the region-pooling file)."""
    for e in man["models"]:
        if e["name"] == entry["name"] and e["version"] == entry["version"] and e["file"] != entry["file"]:
            raise ValueError(f"{e['name']}@{e['version']} is registered with {e['file']}, not {entry['file']}: "
                             "choose an unused version")
    man["models"] = [e for e in man["models"] if not (e["name"] == entry["name"] and e["version"] == entry["version"])]
    if entry.get("default"):
        for e in man["models"]:
            if e["task"] == entry["task"]:
                e["default"] = False
    man["models"].append(entry)


def training_data_summary(items: list[D.Item]) -> str:
    s = D.split_summary(items)
    n = {k: sum(sum(v.values()) for v in s[k].values()) for k in s}
    return (f"../shared/datasets conditions task ({len(items)} images after sha256 dedup); cross-source split: "
            f"train {n.get('train', 0)} / val {n.get('val', 0)} (stratified 15% of the training sources) / "
            f"test {n.get('test', 0)} (whole held-out sources: {', '.join(D.TEST_SOURCES)}). "
            f"Inputs are the engine's own 224x224 crops (skinsight crop --closeup-fallback).")


def _cand(m: dict, run: str) -> dict:
    t = m["test"]
    return {"arch": m["arch"], "test_macro_f1": t["macro_f1"], "test_accuracy": t["accuracy"],
            "test_roc_auc_acne": t.get("roc_auc_acne"), "test_ece": t["ece"], "val_macro_f1": m["val"]["macro_f1"],
            "fits_10mb": m["params"] * 4 <= MAX_BYTES, "params": m["params"], "epochs": m["training"]["epochs"],
            "train_seconds": m["training"]["train_seconds"], "run": run}


def choose_arch(run_dir: Path, task: str, compare_dirs: list[Path] = ()) -> tuple[str, dict]:
    """Ship the architecture with the best held-out test macro-F1 among those trained in run_dir whose
    ONNX fits 10 MB. Runs in compare_dirs (e.g. the seed architecture at fewer epochs) are listed for comparison."""
    cands, ok = {}, {}
    for d in sorted(run_dir.glob(f"{task}-*")):
        if (d / "metrics.json").exists():
            m = json.loads((d / "metrics.json").read_text())
            c = _cand(m, run_dir.name)
            cands[f"{m['arch']} ({c['epochs']} epochs)"] = c
            if c["fits_10mb"]:
                ok[m["arch"]] = c
    for cd in compare_dirs:
        for d in sorted(cd.glob(f"{task}-*")):
            if (d / "metrics.json").exists():
                m = json.loads((d / "metrics.json").read_text())
                c = _cand(m, cd.name)
                cands.setdefault(f"{m['arch']} ({c['epochs']} epochs)", c)
    best = max(ok, key=lambda a: ok[a]["test_macro_f1"])
    return best, cands


def register_run(run_dir: Path, version: str, tasks: list[str], X, items: list[D.Item], log=print,
                 compare_dirs: list[Path] = (), make_default: bool = True) -> None:
    from .train import TASKS, labels_for

    split = np.array([it.split for it in items])
    te = np.where(split == "test")[0]
    tr = np.where(split == "train")[0]
    splits_meta = json.loads((run_dir / "splits.json").read_text())
    man = load_manifest()
    (MODELS / "cards").mkdir(parents=True, exist_ok=True)
    CKPT.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        arch, cands = choose_arch(run_dir, task, compare_dirs)
        src = run_dir / f"{task}-{arch}"
        res = json.loads((src / "metrics.json").read_text())
        ck = torch.load(src / "model.pt")
        classes = TASKS[task]["classes"]
        model = build(arch, len(classes))
        model.load_state_dict(ck["state_dict"])
        model.eval()
        y = labels_for(task, items)
        # re-evaluate the checkpoint (same splits), so the metrics are the current code's for these weights
        from .train import evaluate

        res.update(evaluate(model, task, X, items, y, split)[0])
        threshold = res["threshold"]
        base = f"{task}-{version}"
        onnx_path = MODELS / f"{base}.onnx"
        export_onnx(model, onnx_path)
        parity = compare_torch_ort(model, onnx_path, np.ascontiguousarray(X[te[:64]]))
        log(f"{task}: exported {onnx_path.name} ({onnx_path.stat().st_size} bytes), torch vs onnxruntime-node {parity}")
        assert parity["max_abs_prob_diff"] < 1e-4, parity
        torch.save({"arch": arch, "task": task, "name": task, "version": version, "classes": classes,
                    "threshold": threshold, "state_dict": model.state_dict()}, CKPT / f"{base}.pt")

        # fp32 and INT8 through onnxruntime-node on the whole held-out test set
        rng = np.random.RandomState(int(splits_meta["seed"]))
        calib = np.sort(rng.choice(tr, size=min(256, len(tr)), replace=False))
        int8_path = MODELS / f"{base}-int8.onnx"
        qinfo = quantize_qdq(onnx_path, int8_path, np.ascontiguousarray(X[calib]))
        Xte = np.ascontiguousarray(X[te])
        p32 = softmax(ort_logits(onnx_path, Xte))
        p8 = softmax(ort_logits(int8_path, Xte))
        r32 = M.classification_report(p32, y[te], classes, threshold)
        r8 = M.classification_report(p8, y[te], classes, threshold)
        r8_groups = M.grouped_reports(p8, y[te], classes, [items[i].group for i in te], threshold)
        bench = ort_bench(onnx_path, int8_path)
        keep_int8 = (r32["macro_f1"] - r8["macro_f1"]) <= 0.01
        log(f"{task}: test macro-F1 fp32(ORT) {r32['macro_f1']:.4f} int8 {r8['macro_f1']:.4f} keep_int8={keep_int8} bench {bench}")

        metrics_full = dict(res)
        metrics_full.update({
            "version": version, "onnx_parity_torch_vs_ort": parity, "arch_comparison": cands,
            "onnx": {"fp32": {"file": onnx_path.name, "bytes": onnx_path.stat().st_size, "test": r32,
                              "bench_ms": bench[str(onnx_path)]},
                     "int8": {"file": int8_path.name, "bytes": int8_path.stat().st_size, "test": r8,
                              "test_by_skin_tone_group": r8_groups, "bench_ms": bench[str(int8_path)],
                              "kept": keep_int8, "quantization": qinfo}},
        })
        metrics_path = MODELS / f"{base}.metrics.json"
        metrics_path.write_text(json.dumps(metrics_full, indent=1) + "\n")

        t = res["test"]
        summary = {"split": "cross-source held-out test (sources never seen in training)",
                   "test_n": t["n"], "test_accuracy": round(t["accuracy"], 4), "test_macro_f1": round(t["macro_f1"], 4),
                   "test_ece": round(t["ece"], 4), "val_macro_f1": round(res["val"]["macro_f1"], 4),
                   "metrics_file": metrics_path.name}
        if t.get("roc_auc_acne") is not None:
            summary["test_roc_auc_acne"] = round(t["roc_auc_acne"], 4)
        entry = {
            "name": task, "version": version, "task": task, "file": onnx_path.name, "sha256": sha256_file(onnx_path),
            "classes": classes,
            "input": manifest_input(),
            "threshold": threshold if threshold is not None else 0.5, "precision": "fp32",
            "architecture": ARCH_DESCRIPTIONS[arch], "default": make_default, "license": LICENSE,
            "training_data": training_data_summary(items), "model_card": f"cards/{task}.md", "metrics": summary,
        }
        upsert(man, entry)
        if keep_int8:
            e8 = dict(entry)
            e8.update({"version": f"{version}+int8", "file": int8_path.name, "sha256": sha256_file(int8_path),
                       "precision": "int8", "default": False,
                       "metrics": {**{k: v for k, v in summary.items() if not k.startswith("test_")},
                                   "test_n": r8["n"], "test_accuracy": round(r8["accuracy"], 4),
                                   "test_macro_f1": round(r8["macro_f1"], 4), "test_ece": round(r8["ece"], 4),
                                   **({"test_roc_auc_acne": round(r8["roc_auc_acne"], 4)} if r8.get("roc_auc_acne") is not None else {}),
                                   "quantization": "QDQ static, uint8 activations / int8 weights, calibrated on 256 training crops"}})
            upsert(man, e8)
        else:
            int8_path.unlink()
        from .cards import write_card

        write_card(task, version, metrics_full, splits_meta, MODELS / "cards" / f"{task}.md", run_dir)
    save_manifest(man)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run-dir", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--version", default="2.0.0")
    ap.add_argument("--tasks", default="acne_binary,skin_condition")
    ap.add_argument("--compare-dir", type=Path, action="append", default=[],
                    help="run folder(s) with other architectures, listed in the card's comparison table")
    ap.add_argument("--no-default", action="store_true", help="register without making these the defaults")
    a = ap.parse_args(argv)
    from .prepare import prepare

    torch.set_num_threads(2)
    meta = json.loads((a.run_dir / "splits.json").read_text())
    cropper, index = prepare(a.data.resolve(), REPO / "training" / ".cache", meta["cropper"])
    from .prepare import crop_modes

    modes = crop_modes(REPO / "training" / ".cache", cropper)
    items = [it for it in D.read_manifest(a.data.resolve()) if it.file in index]
    for it in items:
        it.mode = modes.get(it.file, "")
    D.assign_splits(items, meta["seed"])
    X = D.load_crops(items, index, REPO / "training" / ".cache" / f"arrays-{cropper}.npy")
    register_run(a.run_dir, a.version, a.tasks.split(","), X, items, compare_dirs=a.compare_dir,
                 make_default=not a.no_default)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
