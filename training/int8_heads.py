"""INT8 (QDQ) variant of the backbone + heads file, kept only if every task stays within 1 point
of fp32 on the held-out test crops (macro-F1, and ROC-AUC for acne), both through onnxruntime-node.

    /usr/bin/python3 -m training.int8_heads --version 3.0.0
    /usr/bin/python3 -m training.int8_heads --version 3.1.0 --run-dir training/runs/heads-3.1.0
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from . import data as D
from . import metrics as M
from .calibrate import clip_probs, softmax_t
from .export import ort_bench, ort_logits
from .quantize import quantize_qdq
from .register import MODELS, load_manifest, save_manifest, sha256_file, upsert

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "training" / ".cache"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--version", default="3.0.0")
    ap.add_argument("--run-dir", type=Path, default=REPO / "training" / "runs" / "heads-seed42")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets")
    a = ap.parse_args(argv)
    from .heads import TASKS, labels
    from .prepare import prepare

    fp32 = MODELS / f"skin_mnv2-{a.version}.onnx"
    int8 = MODELS / f"skin_mnv2-{a.version}-int8.onnx"
    splits = json.loads((a.run_dir / "splits.json").read_text())["files"]
    man = load_manifest()
    size = next(e for e in man["models"] if e["file"] == fp32.name)["input"]["size"]  # the crops the model was trained on
    _, index = prepare(a.data.resolve(), CACHE, "engine", size)
    items = [it for it in D.read_manifest(a.data.resolve()) if it.file in index]
    X = D.load_crops(items, index, CACHE / ("arrays-engine.npy" if size == 224 else f"arrays-engine-{size}.npy"), size)
    split = np.array([splits.get(it.file, "") for it in items])
    te, tr = np.where(split == "test")[0], np.where(split == "train")[0]
    calib = np.sort(np.random.RandomState(42).choice(tr, size=256, replace=False))
    qinfo = quantize_qdq(fp32, int8, np.ascontiguousarray(X[calib]))
    entries = {e["task"]: e for e in man["models"] if e["file"] == fp32.name}
    Xte = np.ascontiguousarray(X[te])
    report, keep = {}, True
    for task, classes in TASKS.items():
        e = entries[task]
        t = e["calibration"]["temperature"]
        y = labels(task, [items[i] for i in te])
        thr = e["threshold"] if task == "acne_binary" else None
        r = {}
        for name, f in (("fp32", fp32), ("int8", int8)):
            p = clip_probs(softmax_t(ort_logits(f, Xte, task).astype(np.float64), t))
            rep = M.classification_report(p, y, classes, thr)
            r[name] = {"macro_f1": rep["macro_f1"], "roc_auc_acne": rep.get("roc_auc_acne"), "ece": rep["ece"]}
        d_f1 = r["fp32"]["macro_f1"] - r["int8"]["macro_f1"]
        d_auc = (r["fp32"]["roc_auc_acne"] or 0) - (r["int8"]["roc_auc_acne"] or 0) if task == "acne_binary" else 0.0
        r["within_1_point"] = d_f1 <= 0.01 and d_auc <= 0.01
        keep = keep and r["within_1_point"]
        report[task] = r
    bench = ort_bench(fp32, int8)
    report.update({"bytes": {"fp32": fp32.stat().st_size, "int8": int8.stat().st_size}, "bench_ms": bench,
                   "kept": keep, "quantization": qinfo, "test_n": int(len(te))})
    print(json.dumps(report, indent=1))
    if keep:
        for task, e in entries.items():
            e8 = dict(e, version=f"{a.version}+int8", file=int8.name, sha256=sha256_file(int8), precision="int8", default=False)
            e8["metrics"] = {"test_n": int(len(te)), "test_macro_f1": round(report[task]["int8"]["macro_f1"], 4),
                             "note": "test crops without the UTKFace patches; see the card"}
            upsert(man, e8)
        save_manifest(man)
    else:
        int8.unlink()
    full = json.loads((MODELS / f"skin_mnv2-{a.version}.metrics.json").read_text())
    full["int8"] = report
    (MODELS / f"skin_mnv2-{a.version}.metrics.json").write_text(json.dumps(full, indent=1) + "\n")
    from .cards_heads import write_card

    write_card(full, MODELS / entries["acne_binary"]["model_card"])  # the card's INT8 section
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
