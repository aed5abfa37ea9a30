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
from .export import ort_ab, ort_bench, ort_logits
from .spec import manifest_input
from .register import CKPT, LICENSE, MODELS, load_manifest, save_manifest, sha256_file, upsert

NAME = "skin_mnv2"
ARCH = ("MobileNetV2 x1.0 (nsfwjs@4.3.0 weights, converted from tfjs, frozen), {size}x{size} input -> {features} -> "
        "one head per task: {head}")
FEATURES_DESC = {"pooled": "global average pool (1280)",
                 "b13+pooled": "global average pools of block_13_expand_relu (576) and out_relu (1280), concatenated (1856)"}
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


def previous_defaults(task_files: dict[str, str], X: np.ndarray, y_of, n_check: int | None = None) -> dict:
    """Earlier default models on the same test crops (`X` at their own input side): the entry's
    output, temperature, clip and threshold, as the engine serves them."""
    from .heads import TASKS

    out = {}
    man = load_manifest()["models"]
    for task, f in task_files.items():
        if not (MODELS / f).exists():
            continue
        e = next((e for e in man if e["file"] == f and e["task"] == task), None)
        if e is None:
            continue
        t = (e.get("calibration") or {}).get("temperature", 1.0)
        z = ort_logits(MODELS / f, np.ascontiguousarray(X), e.get("output") or "logits").astype(np.float64)
        p = clip_probs(softmax_t(z, t)) if e.get("output") else softmax_t(z)
        thr = e.get("threshold") if task == "acne_binary" else None
        r = M.classification_report(p, y_of(task), TASKS[task], thr)
        out[f"{task}@{e['version']}"] = {"file": f, "version": e["version"], "task": task, "test_n": r["n"], "macro_f1": r["macro_f1"],
                                         "roc_auc_acne": r.get("roc_auc_acne"), "ece": r["ece"],
                                         "arch": "MobileNetV2 + heads" if e.get("output") else "CompactNet"}
    return out


def crops_224(items, data_dir: Path) -> np.ndarray:
    """The 224 engine crops of `items` (for the 224-input previous defaults beside a model of another side)."""
    from . import data as D
    from .heads import CACHE
    from .prepare import prepare

    _, index = prepare(data_dir, CACHE, "engine", 224)
    return np.ascontiguousarray(D.load_crops(items, index, CACHE / "arrays-prev224.npy", 224))


def crop_changes(version: str) -> dict | None:
    """models/cards/<name>-<version>.crop-changes.json (training/crop_diff.py --json), when committed."""
    f = MODELS / "cards" / f"{NAME}-{version}.crop-changes.json"
    return json.loads(f.read_text()) if f.exists() else None


def selection_summary(run_dir: Path) -> dict | None:
    """The validation selection (training/select_heads.py) named by <run-dir>/selection-source.txt, condensed."""
    src = run_dir / "selection-source.txt"
    if not src.exists():
        return None
    sel = json.loads(Path(src.read_text().strip()).read_text())
    return {"candidates": {k: {"score": v["score"], **{t: {m: v[t][m] for m in ("val_roc_auc_acne", "val_macro_f1", "val_ece")}
                                                         for t in ("acne_binary", "skin_condition")}} for k, v in sel["candidates"].items()},
            "v3.0.0_on_today_val": sel["v3.0.0_on_today_val"], "chosen_input": sel["chosen_input"],
            "dark_healthy": {t: {"chosen": v["chosen"], "runs": {k: {m: r[m] for m in ("val_roc_auc_acne", "val_macro_f1",
                                                                                     "val_dark_healthy_flagged", "val_light_healthy_flagged")}
                                                                  for k, r in v["runs"].items()}} for t, v in sel["dark_healthy"].items()},
            "calibration": {t: {"chosen": v["chosen"], "crossfit_ece": {m: r["ece"] for m, r in v["crossfit"].items()}}
                            for t, v in sel["calibration"].items()},
            "command": sel["command"]}


def register(run_dir: Path, version: str, heads: dict, results: dict, X, items, rows, split, log, cfg=None,
             default: bool = True, data_dir: Path | None = None) -> None:
    from .heads import TASKS, Config, labels
    from .cards_heads import write_card
    from .backbone.multi import FEATURE_SETS, FeatureBackbone
    from .export_sized import export_at

    cfg = cfg or Config()
    # net.py's Backbone reads flatten_1, a fixed 7x7 pool: only for 3.0.0's 224 pooled features
    net = SkinNet(Backbone() if (cfg.size, cfg.features) == (224, "pooled") else FeatureBackbone(cfg.features), heads).eval()
    onnx_path = MODELS / f"{NAME}-{version}.onnx"
    if cfg.size == 224:
        export(net, onnx_path)
    else:
        export_at(net, onnx_path, cfg.size)
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
    ab = None
    if version != "3.0.0" and (MODELS / f"{NAME}-3.0.0.onnx").exists():
        ab = ort_ab(onnx_path, MODELS / f"{NAME}-3.0.0.onnx")
        log(f"one core, batch 1, A/B against 3.0.0 in alternation: {json.dumps(ab)}")

    # the previous defaults on the same test images (patches excluded), each at its own input side
    test_items = [items[i] for i in te_crops]
    y_of = lambda task: labels(task, test_items)  # noqa: E731
    X224 = X[te_crops] if cfg.size == 224 else crops_224(test_items, data_dir)
    previous = previous_defaults(PREVIOUS, X224, y_of)
    if version != "3.0.0":
        previous.update(previous_defaults({t: f"{NAME}-3.0.0.onnx" for t in TASKS}, X224, y_of))
    log(f"previous defaults on the same test crops: {json.dumps(previous)}")

    CKPT.mkdir(parents=True, exist_ok=True)
    inp = {**manifest_input(), "size": cfg.size}
    # everything a re-export needs (input side, feature layers, heads, calibration, thresholds)
    torch.save({"kind": "backbone_heads", "name": NAME, "version": version, "names": net.names,
                "heads": {k: v.state_dict() for k, v in heads.items()},
                "hparams": {k: results[k]["head"] for k in heads},
                "input": inp, "input_size": cfg.size, "features": cfg.features, "feature_layers": FEATURE_SETS[cfg.features],
                "classes": {k: TASKS[k] for k in heads},
                "temperatures": {k: results[k]["temperature"] for k in heads},
                "calibration": {k: results[k].get("calibration", {"method": "temperature"}) for k in heads},
                "thresholds": {k: results[k]["threshold"] if results[k]["threshold"] is not None else 0.5 for k in heads},
                "dark_healthy_weight": {k: results[k].get("dark_healthy_weight", 1.0) for k in heads}},
               CKPT / f"{NAME}-{version}.pt")
    card_rel = f"cards/{NAME}.md" if version == "3.0.0" else f"cards/{NAME}-{version}.md"
    man = load_manifest()
    for task in net.names:
        res = results[task]
        t = res["test"]
        hp = res["head"]
        dim = int(heads[task].mu.shape[0])
        head_desc = f"linear ({dim} -> C)" if not hp["hidden"] else f"MLP ({dim} -> {hp['hidden']} -> C, ReLU)"
        cal = res.get("calibration", {"method": "temperature", "fitted_on": "validation split (NLL, cell-balanced weights)"})
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
                                            "fitted_on": cal["fitted_on"]},
            "classes": TASKS[task],
            "input": inp,
            "threshold": res["threshold"] if res["threshold"] is not None else 0.5, "precision": "fp32",
            "architecture": ARCH.format(head=head_desc, size=cfg.size, features=FEATURES_DESC[cfg.features]), "default": default, "license": LICENSE + "; backbone weights: nsfwjs (MIT)",
            "training_data": "../shared/datasets conditions task (engine crops) + engine-cut healthy skin patches of UTKFace; see the model card",
            "model_card": card_rel, "metrics": metrics,
        })
    save_manifest(man)
    full = {"version": version, "onnx": {"file": onnx_path.name, "bytes": size, "bench_ms": bench, "parity_max_abs_prob": parity},
            "input_size": cfg.size, "features": cfg.features, "default": default,
            "one_core_ab": {Path(k).name: v for k, v in ab.items()} if ab else None,
            "crop_changes": crop_changes(version), "selection": selection_summary(run_dir),
            "probability_clip": [PROB_MIN, PROB_MAX], "previous_defaults_same_test": previous, "tasks": results}
    (MODELS / f"{NAME}-{version}.metrics.json").write_text(json.dumps(full, indent=1) + "\n")
    write_card(full, MODELS / card_rel)
    log(f"registered {NAME}@{version} for {net.names} (default: {default}); card models/{card_rel}")
    _ = clip_probs  # the engine applies the same clip (src/engine/models/calibration.ts)
