"""Print Markdown results tables from models/<task>-<version>.metrics.json (for the README).

    /usr/bin/python3 -m training.report            # the default models in models/manifest.json
    /usr/bin/python3 -m training.report --version 2.0.0
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def f(v, nd=3):
    return "n/a" if v is None else f"{v:.{nd}f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", default=None, help="default: each task's default version in the manifest")
    a = ap.parse_args(argv)
    man = json.loads((REPO / "models" / "manifest.json").read_text())
    defaults = {e["task"]: e["version"] for e in man["models"] if e.get("default")}
    out = []
    for task in ("acne_binary", "skin_condition"):
        version = a.version or defaults.get(task)
        p = REPO / "models" / f"{task}-{version}.metrics.json"
        if not p.exists():
            continue
        m = json.loads(p.read_text())
        t, v = m["test"], m["val"]
        out += [f"### `{task}@{version}` ({m['arch']}, {m['params']:,} params)", "",
                "| subset | n | accuracy | macro-F1 | ROC-AUC acne | ECE |", "|---|---:|---:|---:|---:|---:|",
                f"| val (in-source) | {v['n']} | {f(v['accuracy'])} | {f(v['macro_f1'])} | {f(v.get('roc_auc_acne'))} | {f(v['ece'])} |",
                f"| **test (held-out sources)** | {t['n']} | {f(t['accuracy'])} | {f(t['macro_f1'])} | {f(t.get('roc_auc_acne'))} | {f(t['ece'])} |"]
        for key, label in (("test_by_source", "source"), ("test_by_domain", "domain"), ("test_by_crop_mode", "crop mode"),
                           ("test_by_skin_tone_group", "skin tone")):
            for g, r in m.get(key, {}).items():
                out.append(f"| test {label}: {g} | {r['n']} | {f(r['accuracy'])} | {f(r['macro_f1'])} | "
                           f"{f(r.get('roc_auc_acne'))} | {f(r['ece'])} |")
        out += ["", "| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
        for c, r in t["per_class"].items():
            out.append(f"| {c} | {f(r['precision'])} | {f(r['recall'])} | {f(r['f1'])} | {r['support']} |")
        if m.get("threshold") is not None:
            out += ["", f"Acne threshold (chosen on validation): {m['threshold']}. "
                        f"Test at 0.5: accuracy {f(m['test_at_0.5']['accuracy'])}, macro-F1 {f(m['test_at_0.5']['macro_f1'])}."]
        o32, o8 = m["onnx"]["fp32"], m["onnx"]["int8"]
        out += ["", "| ONNX | bytes | test macro-F1 (onnxruntime-node) | ms batch 1 | ms batch 8 |", "|---|---:|---:|---:|---:|",
                f"| fp32 | {o32['bytes']:,} | {f(o32['test']['macro_f1'])} | {f(o32['bench_ms']['batch1_median_ms'], 2)} | {f(o32['bench_ms']['batch8_median_ms'], 2)} |",
                f"| int8 QDQ{' (kept)' if o8['kept'] else ' (dropped)'} | {o8['bytes']:,} | {f(o8['test']['macro_f1'])} | "
                f"{f(o8['bench_ms']['batch1_median_ms'], 2)} | {f(o8['bench_ms']['batch8_median_ms'], 2)} |", ""]
        out += ["| architecture comparison | params | fits 10 MB | epochs | train s | test macro-F1 | test ROC-AUC acne |",
                "|---|---:|---|---:|---:|---:|---:|"]
        for arch, c in m["arch_comparison"].items():
            out.append(f"| {arch} | {c['params']:,} | {'yes' if c['fits_10mb'] else 'no'} | {c['epochs']} | "
                       f"{c.get('train_seconds', 0):.0f} | {f(c['test_macro_f1'])} | {f(c.get('test_roc_auc_acne'))} |")
        out.append("")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
