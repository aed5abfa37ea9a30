"""Convert the seed's PyTorch weights into registry entries with ONNX files.

    /usr/bin/python3 training/import_seed.py acne_binary_v1.pt other_condition_v1.pt --out models/ [--version 1.0.0]

Each .pt is a state dict (or a pickled module / {"state_dict": ...}) of one of the seed's two
architectures: 3 conv blocks + FC(128*28*28->512) + FC(512->2) (acne_binary), or 4 conv blocks +
FC(256*14*14->512) + FC(512->5) (skin_condition). Key names do not matter: layers are matched by shape.
Writes OUT/<task>-<version>.onnx and adds entries (default: false) to OUT/manifest.json.
Class order is assumed to be the registry's (no_acne, acne / normal, acne, rosacea, eczema,
pigmentation); pass --acne-classes / --condition-classes if the seed's order differs.
Note: the seed files are large (about 206 MB and 104 MB as fp32 ONNX), beyond the 10 MB default-model budget.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv=None) -> int:
    import torch

    from training.export import export_onnx
    from training.models import ARCH_DESCRIPTIONS
    from training.register import sha256_file
    from training.spec import ACNE_CLASSES, CONDITION_CLASSES, manifest_input

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=REPO / "models")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--acne-classes", default=",".join(ACNE_CLASSES))
    ap.add_argument("--condition-classes", default=",".join(CONDITION_CLASSES))
    ap.add_argument("--license", default="as provided by the seed weights' owner (unknown)")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    from training.seedio import seed_from_state_dict

    a.out.mkdir(parents=True, exist_ok=True)
    man_path = a.out / "manifest.json"
    man = json.loads(man_path.read_text()) if man_path.exists() else {"models": []}
    done = []
    for w in a.weights:
        obj = torch.load(str(w), map_location="cpu")
        if isinstance(obj, torch.nn.Module):
            obj = obj.state_dict()
        model = seed_from_state_dict(obj)
        n_blocks = sum(isinstance(m, torch.nn.Conv2d) for m in model.features)
        n_out = model.classifier[-1].out_features
        if n_blocks == 3 and n_out == 2:
            task, arch, classes = "acne_binary", "seed_acne", a.acne_classes.split(",")
        elif n_blocks == 4 and n_out == 5:
            task, arch, classes = "skin_condition", "seed_condition", a.condition_classes.split(",")
        else:
            raise SystemExit(f"{w}: {n_blocks} conv blocks and {n_out} outputs match neither seed architecture")
        onnx_path = a.out / f"{task}-{a.version}.onnx"
        export_onnx(model, onnx_path)
        entry = {
            "name": task, "version": a.version, "task": task, "file": onnx_path.name, "sha256": sha256_file(onnx_path),
            "classes": classes,
            "input": manifest_input(),
            "threshold": 0.5, "precision": "fp32", "architecture": ARCH_DESCRIPTIONS[arch], "default": False,
            "license": a.license, "training_data": f"seed project weights imported from {w.name} (training data unknown)",
            "metrics": {},
        }
        man["models"] = [e for e in man["models"] if not (e["name"] == task and e["version"] == a.version)]
        man["models"].append(entry)
        done.append({"task": task, "file": str(onnx_path), "sha256": entry["sha256"]})
    man["models"].sort(key=lambda e: (e["task"], e["name"], e["version"]))
    man_path.write_text(json.dumps(man, indent=2) + "\n")
    print(json.dumps(done))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
