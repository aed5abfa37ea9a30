"""Register a recalibrated version of the backbone + heads models (training/calibrate_oos.py):
the same ONNX file and heads as the base version, new `calibration.temperature` and acne
`threshold` in two new registry entries (the base entries stay, no longer default), a metrics
JSON and the model card. No new weights: the file's sha256 is checked unchanged.

    /usr/bin/python3 -m training.register_calibration --run-dir training/runs/calibrate-oos-seed42 --version 3.0.1

registers from the run's metrics.json (calibrate_oos.py writes it), without running anything again.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cards_heads import write_card
from .register import MODELS, load_manifest, save_manifest, sha256_file, upsert

NAME = "skin_mnv2"
FITTED_ON = {
    "in_source": "in-source validation split (NLL, cell-balanced weights)",
    "out_of_source": "out-of-source predictions: folds by training source, each fold's head trained on the others (NLL)",
    "out_of_source_balanced": "out-of-source predictions: folds by training source, each fold's head trained on the others "
                              "(NLL, cell-balanced weights)",
}


def register(version: str, base_version: str, base: dict, results: dict, log) -> None:
    man = load_manifest()
    for task, res in results.items():
        old = next(e for e in man["models"] if e["name"] == task and e["version"] == base_version)
        if sha256_file(MODELS / old["file"]) != old["sha256"]:
            raise RuntimeError(f"{old['file']} does not match its {base_version} registry sha256")
        t = res["test"]
        metrics = {**old["metrics"], "test_n": t["n"], "test_accuracy": round(t["accuracy"], 4),
                   "test_macro_f1": round(t["macro_f1"], 4), "test_ece": round(res["test_ece_after_calibration"], 4),
                   "test_ece_uncalibrated": round(res["test_ece_before_calibration"], 4),
                   "val_macro_f1": round(res["val"]["macro_f1"], 4), "val": "out-of-source (folds by training source)",
                   "metrics_file": f"{NAME}-{version}.metrics.json"}
        if t.get("roc_auc_acne") is not None:
            metrics["test_roc_auc_acne"] = round(t["roc_auc_acne"], 4)
        entry = {**old, "version": version, "default": True, "metrics": metrics,
                 "calibration": {"method": "temperature", "temperature": res["temperature"],
                                 "fitted_on": FITTED_ON[res["calibration_method"]]},
                 "threshold": res["threshold"] if res["threshold"] is not None else old["threshold"],
                 "architecture": old["architecture"].replace("nsfwjs@4.4.0", "nsfwjs@4.3.0")}
        upsert(man, entry)
    save_manifest(man)
    full = {**base, "version": version, "calibration_of": base_version, "tasks": results,
            "previous_defaults_same_test": {
                **base.get("previous_defaults_same_test", {}),
                **{f"{task}@{base_version}": {"file": f"{NAME}-{base_version}.onnx, its in-source temperature and threshold",
                                              "arch": "same heads", "test_n": r["test_crops_only"]["n"],
                                              "macro_f1": r["test_crops_only"]["macro_f1"],
                                              "roc_auc_acne": r["test_crops_only"].get("roc_auc_acne"), "ece": r["test_crops_only"]["ece"]}
                   for task, r in base["tasks"].items()}}}
    (MODELS / f"{NAME}-{version}.metrics.json").write_text(json.dumps(full, indent=1) + "\n")
    write_card(full, MODELS / "cards" / f"{NAME}.md")
    log(f"registered {NAME}@{version} (file {full['onnx']['file']}, recalibrated from {base_version}); card models/cards/{NAME}.md")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run-dir", type=Path, required=True, nargs="+", help="one per task when the tasks ran apart")
    ap.add_argument("--version", required=True)
    ap.add_argument("--base", default="3.0.0")
    a = ap.parse_args(argv)
    results = {k: v for d in a.run_dir for k, v in json.loads((d / "metrics.json").read_text()).items()}
    base = json.loads((MODELS / f"{NAME}-{a.base}.metrics.json").read_text())
    register(a.version, a.base, base, results, print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
