"""A version with float16-stored weights beside the version it re-stores: validation and test numbers,
the largest change in any served probability, metrics JSON and the model card.

    /usr/bin/python3 -m training.fp16_report --version 3.1.2 --against 3.1.1

(after `training.export_regions --from 3.1.0 --version 3.1.2 --default --fp16-min-elements 300000`,
which writes the ONNX file, the checkpoint, the registry entries, models/<name>-<version>.parity.json
and the region calibration). Both files run through onnxruntime-node (training/ort_regions.mjs, one
uniform region row, so the outputs are the whole-face logits) on the same engine crops at the
entries' side (training/.cache/crops-engine-192 and the UTKFace patches, as training.heads makes them)
and the same splits (training/heads.py `assign`, seed 42). Each entry's temperature, clip [0.005,
0.995] and acne threshold are applied as the engine serves them. Nothing is chosen here: both
versions carry 3.1.0's heads, temperature and threshold (chosen on validation by training.heads);
the test rows are only scored.

Writes models/<name>-<version>.metrics.json and the card's "Float16 storage" section
(models/cards/<name>-<version>.md, replaced in place; training/region_threshold.py writes the
card's "Acne per region" section).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from . import metrics as M
from .calibrate import clip_probs, softmax_t
from .register import MODELS, load_manifest, sha256_file
from .register_heads import NAME

REPO = Path(__file__).resolve().parent.parent
CHUNK = 256  # crops per onnxruntime-node call (memory: 256 x 3 x 192^2 floats = 113 MB)
BEGIN, END = "<!-- float16 storage: written by training/fp16_report.py -->", "<!-- end of float16 storage -->"


def whole_face_logits(path: Path, x: np.ndarray, tasks: list[str], cells: int) -> dict[str, np.ndarray]:
    """The per-task outputs (whole-face pooled logits) for uint8 NHWC crops; `cells`: the entry's grid squared."""
    from .export_regions import ort_region_outputs

    out: dict[str, list[np.ndarray]] = {t: [] for t in tasks}
    for s in range(0, len(x), CHUNK):
        xb = x[s: s + CHUNK]
        w = np.full((len(xb), 1, cells), 1.0 / cells, np.float32)
        o, meta = ort_region_outputs(path, xb, w)
        assert meta["inputs"]["region_weights"][-1] == cells, meta
        for t in tasks:
            out[t].append(o[t].reshape(len(xb), -1))
    return {t: np.concatenate(v) for t, v in out.items()}


def served(entry: dict, z: np.ndarray) -> np.ndarray:
    t = (entry.get("calibration") or {}).get("temperature", 1.0)
    return clip_probs(softmax_t(z.astype(np.float64), t))


def report(p: np.ndarray, y: np.ndarray, task: str, threshold: float | None) -> dict:
    from .heads import TASKS

    r = M.classification_report(p, y, TASKS[task], threshold)
    keep = {k: r[k] for k in ("n", "accuracy", "macro_f1", "ece") if k in r}
    if r.get("roc_auc_acne") is not None:
        keep["roc_auc_acne"] = r["roc_auc_acne"]
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in keep.items()}


def main(argv=None) -> int:
    from .heads import TASKS, engine_rows, labels

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", required=True)
    ap.add_argument("--against", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets")
    a = ap.parse_args(argv)
    data = a.data.resolve()
    man = load_manifest()["models"]
    entries = {v: {t: next(e for e in man if e["task"] == t and e["version"] == v) for t in TASKS} for v in (a.against, a.version)}
    new = entries[a.version]["acne_binary"]
    size = new["input"]["size"]
    assert all(e["input"]["size"] == size for v in entries.values() for e in v.values()), "both versions must read one crop side"

    items, patches, X, XP = engine_rows(data, a.seed, size)
    x = np.concatenate([X, XP])
    rows = items + patches
    split = np.array([it.split for it in rows])
    crop = np.arange(len(rows)) < len(items)
    sel = {"validation": split == "val", "test": split == "test", "test_crops_only": (split == "test") & crop}
    ev = (split == "val") | (split == "test")
    xe = np.ascontiguousarray(x[ev])
    rows_e = [r for r, k in zip(rows, ev) if k]
    sel = {k: v[ev] for k, v in sel.items()}

    probs, files = {}, {}
    for v in (a.against, a.version):
        f = MODELS / entries[v]["acne_binary"]["file"]
        files[v] = {"file": f.name, "bytes": f.stat().st_size, "sha256": sha256_file(f)}
        z = whole_face_logits(f, xe, list(TASKS), entries[v]["acne_binary"]["regions"]["grid"] ** 2)
        probs[v] = {t: served(entries[v][t], z[t]) for t in TASKS}
        print(f"{v}: {len(xe)} crops scored", flush=True)
    results: dict = {}
    for name, m in sel.items():
        results[name] = {}
        for v in (a.against, a.version):
            results[name][v] = {}
            for t in TASKS:
                thr = entries[v][t].get("threshold") if t == "acne_binary" else None
                results[name][v][t] = report(probs[v][t][m], labels(t, [r for r, k in zip(rows_e, m) if k]), t, thr)
    change = {}
    for t in TASKS:
        d = np.abs(probs[a.version][t] - probs[a.against][t])
        thr_old = entries[a.against][t].get("threshold") if t == "acne_binary" else None
        thr_new = entries[a.version][t].get("threshold") if t == "acne_binary" else None
        flips = M.predict(probs[a.version][t], thr_new) != M.predict(probs[a.against][t], thr_old)
        change[t] = {"rows": len(d), "max_abs_prob": float(d.max()), "median_abs_prob": float(np.median(d)),
                     "decisions_changed": int(flips.sum())}
    parity_file = MODELS / f"{NAME}-{a.version}.parity.json"
    regions_file = MODELS / f"{NAME}-{a.version}.regions.json"
    full = {"version": a.version, "against": a.against, "files": files,
            "fp16_weights": json.loads(parity_file.read_text()).get("fp16_weights") if parity_file.exists() else None,
            "export_parity": json.loads(parity_file.read_text()) if parity_file.exists() else None,
            "splits": f"training/heads.py assign (seed {a.seed}); engine crops at {size} + UTKFace patches; "
                      "test = the held-out sources (and UTKFace's held-out half), scored only",
            "served_probability_change": change, "metrics": results,
            "regions_file": regions_file.name if regions_file.exists() else None,
            "commands": [f"/usr/bin/python3 -m training.export_regions --from {new['regions']['from_version']} --version {a.version} --default "
                         f"--fp16-min-elements {(json.loads(parity_file.read_text()).get('fp16_weights') or {}).get('min_elements') if parity_file.exists() else '?'}",
                         f"/usr/bin/python3 -m training.fp16_report --version {a.version} --against {a.against}"]}
    (MODELS / f"{NAME}-{a.version}.metrics.json").write_text(json.dumps(full, indent=1) + "\n")
    write_card(MODELS / new["model_card"], full, entries)
    print(json.dumps({"served_probability_change": change, "metrics": results}, indent=1))
    return 0


def write_card(card: Path, full: dict, entries: dict) -> None:
    v, old = full["version"], full["against"]
    src = entries[v]["acne_binary"]["regions"]["from_version"]  # the file export_regions re-exported and checked against
    fp = full.get("fp16_weights") or {}
    par = full.get("export_parity") or {}
    mb = lambda b: f"{b:,} bytes ({b / 1e6:.2f} MB)"  # noqa: E731
    lines = [BEGIN, f"# skin_mnv2@{v}: {src}'s heads with float16-stored backbone weights (the default; {old}, the same with float32 weights, stays registered)", "",
             "> Research and non-commercial use only; not for diagnosis (the data and limits of the heads: "
             f"`{entries[old]['acne_binary']['model_card']}`).", "",
             f"`{full['files'][v]['file']}` ({mb(full['files'][v]['bytes'])}) is `{full['files'][old]['file']}` "
             f"({mb(full['files'][old]['bytes'])}) with the backbone weights of >= {fp.get('min_elements', '?'):,} values stored as float16, "
             f"each followed by a Cast to float32: {', '.join(f'`{n}`' for n in fp.get('initializers', []))} "
             "(issue #12: <= 10 MB of ONNX for the default models together). Their BatchNormalization is folded in first and the "
             "PyTorch twin uses the same rounded weights (`training/backbone/fp16_store.py`), so PyTorch and onnxruntime agree as "
             "before; ONNX Runtime folds the Casts at session creation (checked on the session's optimised graph: "
             f"{fp.get('casts_left_in_session', '?')} left), so it runs the same float32 graph at the same speed. Heads, temperatures, "
             f"thresholds and classes are {entries[v]['acne_binary']['regions']['from_version']}'s; the region calibration was re-fitted "
             "on validation for this file (section below).", "",
             "Commands: " + "; ".join(f"`{c}`" for c in full["commands"]) + ".", ""]
    if par:
        lines += ["Export checks (15 face fixtures, `training/export_regions.py`): " + "; ".join(
            f"{t}: whole face vs {src}'s file (whose whole-face outputs {old} shares) {par[t]['global_vs_source_logit']:.2g} logit / {par[t]['global_vs_source_prob']:.2g} prob, "
            f"vs PyTorch {par[t]['global_vs_torch_logit']:.2g} logit, regions vs PyTorch {par[t]['regions_vs_torch_prob']:.2g} prob, "
            f"uniform row vs whole face {par[t]['uniform_row_vs_global_logit']:.2g} logit"
            for t in ("acne_binary", "skin_condition") if t in par) + ".", ""]
    lines += [f"Served probabilities (temperature and clip applied) on every validation and test crop and patch, {v} vs {old}:", "",
              "| task | rows | max abs change | median abs change | decisions changed |", "|---|---:|---:|---:|---:|"]
    for t, c in full["served_probability_change"].items():
        lines.append(f"| {t} | {c['rows']} | {c['max_abs_prob']:.2g} | {c['median_abs_prob']:.2g} | {c['decisions_changed']} |")
    lines += ["", f"Metrics ({full['splits']}):", "",
              "| split | version | acne ROC-AUC | acne macro-F1 | acne ECE | condition macro-F1 | condition ECE | n |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for split, by_v in full["metrics"].items():
        for ver in (old, v):
            ac, co = by_v[ver]["acne_binary"], by_v[ver]["skin_condition"]
            lines.append(f"| {split} | {ver} | {ac.get('roc_auc_acne', 0):.4f} | {ac['macro_f1']:.4f} | {ac['ece']:.4f} | "
                         f"{co['macro_f1']:.4f} | {co['ece']:.4f} | {ac['n']} |")
    lines.append(END)
    text = card.read_text() if card.exists() else ""
    block = "\n".join(lines)
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = block + "\n\n" + text.lstrip("\n")
    card.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
