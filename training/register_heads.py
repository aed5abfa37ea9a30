"""Register the backbone + heads models (training/heads.py --register): one ONNX file with one
output per task, checked against PyTorch through onnxruntime-node, an INT8 attempt, a benchmark,
the previous defaults evaluated on the same splits, metrics JSON, model card and two registry
entries (one per task) naming the same file.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import torch

from . import metrics as M
from .backbone.net import REGIONS_INPUT, Backbone, SkinNet, region_output
from .calibrate import PROB_MAX, PROB_MIN, clip_probs, softmax_t
from .export import ort_bench, ort_logits
from .spec import manifest_input
from .register import CKPT, LICENSE, MODELS, load_manifest, save_manifest, sha256_file, upsert

NAME = "skin_mnv2"
ARCH = ("MobileNetV2 x1.0 (nsfwjs@4.3.0 weights, converted from tfjs, frozen) -> global average pool (1280) -> "
        "one head per task: {head}")
PREVIOUS = {"acne_binary": "acne_binary-2.1.0.onnx", "skin_condition": "skin_condition-2.0.0.onnx"}


def export(net: SkinNet, path: Path, size: int = 224) -> None:
    """ONNX of `net`: input `input` [N,3,size,size]; with `net.regions` also `region_weights` [N,R,G]
    (G = the feature map's cells, static, so the engine reads the grid from the model) and the
    outputs `<task>_regions` [N,R,C] (training/backbone/net.py)."""
    x = torch.zeros(1, 3, size, size)
    outputs = net.output_names
    axes = {"input": {0: "N"}, **{n: {0: "N"} for n in net.names}}
    if not net.regions:
        torch.onnx.export(net, x, str(path), input_names=["input"], output_names=outputs, dynamic_axes=axes,
                          opset_version=13, do_constant_folding=True)
    else:
        with torch.no_grad():
            fmap, _ = net.backbone(x)
        cells = fmap.shape[2] * fmap.shape[3]
        w = torch.full((1, 1, cells), 1.0 / cells)
        axes.update({REGIONS_INPUT: {0: "N", 1: "R"}, **{region_output(n): {0: "N", 1: "R"} for n in net.names}})
        torch.onnx.export(net, (x, w), str(path), input_names=["input", REGIONS_INPUT], output_names=outputs,
                          dynamic_axes=axes, opset_version=13, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(str(path)))


def register(run_dir: Path, version: str, heads: dict, results: dict, X, items, rows, split, log) -> None:
    from .heads import TASKS, labels
    from .cards_heads import write_card

    net = SkinNet(Backbone(), heads).eval()
    onnx_path = MODELS / f"{NAME}-{version}.onnx"
    export(net, onnx_path)
    size = onnx_path.stat().st_size
    te_crops = np.array([i for i in np.where(split == "test")[0] if i < len(items)])
    sample = np.ascontiguousarray(X[te_crops[:48]])
    with torch.no_grad():
        from .train import normalise

        torch_out = net(normalise(torch.from_numpy(sample)))
    parity = {}
    for k, task in enumerate(net.names):
        z_ort = ort_logits(onnx_path, sample, task)
        t = results[task]["temperature"]
        parity[task] = float(np.abs(softmax_t(torch_out[k].double().numpy(), t) - softmax_t(z_ort.astype(np.float64), t)).max())
    log(f"exported {onnx_path.name} ({size} bytes); torch vs onnxruntime-node max |dprob| {parity}")
    assert all(v < 1e-4 for v in parity.values()), parity
    bench = ort_bench(onnx_path)[str(onnx_path)]
    log(f"onnxruntime-node, both tasks in one forward: {bench}")

    # the previous defaults on the same test crops (patches excluded: the same images as the new test crops otherwise)
    previous = {}
    for task, f in PREVIOUS.items():
        if (MODELS / f).exists():
            y = labels(task, [items[i] for i in te_crops])
            p = softmax_t(ort_logits(MODELS / f, np.ascontiguousarray(X[te_crops])).astype(np.float64))
            thr = next((e["threshold"] for e in load_manifest()["models"] if e["file"] == f), None) if task == "acne_binary" else None
            r = M.classification_report(p, y, TASKS[task], thr)
            previous[task] = {"file": f, "test_n": r["n"], "macro_f1": r["macro_f1"], "roc_auc_acne": r.get("roc_auc_acne"), "ece": r["ece"]}
    log(f"previous defaults on the same test crops: {json.dumps(previous)}")

    CKPT.mkdir(parents=True, exist_ok=True)
    torch.save({"kind": "backbone_heads", "name": NAME, "version": version, "names": net.names,
                "heads": {k: v.state_dict() for k, v in heads.items()},
                "hparams": {k: results[k]["head"] for k in heads}}, CKPT / f"{NAME}-{version}.pt")
    man = load_manifest()
    for task in net.names:
        res = results[task]
        t = res["test"]
        hp = res["head"]
        head_desc = "linear (1280 -> C)" if not hp["hidden"] else f"MLP (1280 -> {hp['hidden']} -> C, ReLU)"
        metrics = {"split": "cross-source held-out test (whole sources never seen in training, plus the held-out half of UTKFace)",
                   "test_n": t["n"], "test_accuracy": round(t["accuracy"], 4), "test_macro_f1": round(t["macro_f1"], 4),
                   "test_ece": round(res["test_ece_after_calibration"], 4),
                   "test_ece_uncalibrated": round(res["test_ece_before_calibration"], 4),
                   "val_macro_f1": round(res["val"]["macro_f1"], 4), "metrics_file": f"{NAME}-{version}.metrics.json"}
        if t.get("roc_auc_acne") is not None:
            metrics["test_roc_auc_acne"] = round(t["roc_auc_acne"], 4)
        upsert(man, {
            "name": task, "version": version, "task": task, "file": onnx_path.name, "sha256": sha256_file(onnx_path),
            "output": task, "calibration": {"method": "temperature", "temperature": res["temperature"],
                                            "fitted_on": "validation split (NLL, cell-balanced weights)"},
            "classes": TASKS[task],
            "input": manifest_input(),
            "threshold": res["threshold"] if res["threshold"] is not None else 0.5, "precision": "fp32",
            "architecture": ARCH.format(head=head_desc), "default": True, "license": LICENSE + "; backbone weights: nsfwjs (MIT)",
            "training_data": "../shared/datasets conditions task (engine crops) + engine-cut healthy skin patches of UTKFace; see the model card",
            "model_card": f"cards/{NAME}.md", "metrics": metrics,
        })
    save_manifest(man)
    full = {"version": version, "onnx": {"file": onnx_path.name, "bytes": size, "bench_ms": bench, "parity_max_abs_prob": parity},
            "probability_clip": [PROB_MIN, PROB_MAX], "previous_defaults_same_test": previous, "tasks": results}
    (MODELS / f"{NAME}-{version}.metrics.json").write_text(json.dumps(full, indent=1) + "\n")
    write_card(full, MODELS / "cards" / f"{NAME}.md")
    log(f"registered {NAME}@{version} for {net.names}; card models/cards/{NAME}.md")
    _ = clip_probs  # the engine applies the same clip (src/engine/models/calibration.ts)
