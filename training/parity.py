"""Print PyTorch probabilities for one crop at the model's input side, for the engine's parity test.

    /usr/bin/python3 training/parity.py PNG_CROP MODEL.pt|MODEL.onnx

PNG_CROP: an image written by `skinsight crop` (SxS RGB, S = the entry's `input.size`, 224 for a .pt;
exactly the engine's model-input pixels).
MODEL.pt: a checkpoint from training/checkpoints/ (or a seed state dict).
MODEL.onnx: a registry file; its PyTorch checkpoint training/checkpoints/<name>-<version>.pt is found
through models/manifest.json (same folder as the ONNX file). INT8 entries have no PyTorch twin.
A multi-head file (entries with `output`, e.g. skin_mnv2-3.0.0.onnx) is rebuilt from the converted
backbone and training/checkpoints/<file stem>.pt; MODEL may then be followed by the task name.
The entry's calibration temperature T is applied (softmax(logits / T)), as the engine does.

Preprocessing (the model spec, models/spec.json): RGB, float32 x/255, (x - mean)/std with the
spec's per-channel mean and std, NCHW, batch 1. No resize.

Prints one JSON line: {"model", "classes", "probabilities": {class: p}, "logits": [...]}.
Probabilities are the softmax of the logits, computed in float64.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def load_multihead(ckpt_path: Path, output: str):
    """The backbone + heads network of training/heads.py, returning the logits of `output`."""
    import torch

    from training.backbone.multi import FeatureBackbone
    from training.backbone.net import Backbone, SkinNet
    from training.heads import Head

    ck = torch.load(ckpt_path)
    features = ck.get("features", "pooled")  # 3.0.0's checkpoint predates the key
    heads = {}
    for task in ck["names"]:
        sd = ck["heads"][task]
        hidden = ck["hparams"][task]["hidden"]
        classes = sd["net.weight" if not hidden else "net.3.weight"].shape[0]
        head = Head(sd["mu"].numpy(), sd["sd"].numpy(), classes, hidden)
        head.load_state_dict(sd)
        heads[task] = head
    size = ck.get("input_size", 224)
    net = SkinNet(Backbone() if (size, features) == (224, "pooled") else FeatureBackbone(features), heads).eval()
    if ck.get("fp16_weights"):  # 3.1.2 on: the same float16-rounded weights as the ONNX file (training/backbone/fp16_store.py)
        from training.backbone.fp16_store import round_backbone

        round_backbone(net.backbone.net, int(ck["fp16_weights"]["min_elements"]))
    k = net.names.index(output)
    return (lambda x: net(x)[k]), {"name": ck["name"], "version": ck["version"]}


def main(argv=None) -> int:
    import numpy as np
    import torch
    from PIL import Image

    from training.seedio import load_any

    args = argv if argv is not None else sys.argv[1:]
    if len(args) not in (2, 3) or args[0] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    png, model_path = Path(args[0]), Path(args[1])
    torch.set_num_threads(1)
    if model_path.suffix == ".onnx":
        man = json.loads((model_path.parent / "manifest.json").read_text())
        # several versions may name one file (a recalibrated version keeps the file): the default one first
        matches = [e for e in man["models"] if e["file"] == model_path.name and (len(args) == 2 or e["task"] == args[2])]
        entry = next((e for e in matches if e.get("default")), matches[0] if matches else None)
        if entry is None:
            raise SystemExit(f"{model_path.name} is not in {model_path.parent / 'manifest.json'}")
        if entry.get("precision") == "int8":
            raise SystemExit("INT8 models have no PyTorch twin; use the fp32 entry")
        if entry.get("output"):
            model, meta = load_multihead(REPO / "training" / "checkpoints" / f"{model_path.stem}.pt", entry["output"])
        else:
            model, meta = load_any(REPO / "training" / "checkpoints" / f"{entry['name']}-{entry['version']}.pt")
        meta["classes"] = entry["classes"]
        temperature = (entry.get("calibration") or {}).get("temperature", 1.0)
        name = f"{entry['name']}@{entry['version']}"
        side = (entry.get("input") or {}).get("size", 224)
    else:
        model, meta = load_any(model_path)
        name = meta.get("name", model_path.stem) + (f"@{meta['version']}" if "version" in meta else "")
        temperature = 1.0
        side = 224
    with Image.open(png) as im:
        im = im.convert("RGB")
        if im.size != (side, side):
            raise SystemExit(f"{png} is {im.size[0]}x{im.size[1]}; expected a {side}x{side} crop from `skinsight crop`")
        x = np.asarray(im, dtype=np.float32) / 255.0
    from training.spec import MEAN, STD

    mean = np.array(MEAN, dtype=np.float32)
    std = np.array(STD, dtype=np.float32)
    x = ((x - mean) / std).transpose(2, 0, 1)[None].copy()
    with torch.no_grad():
        logits = model(torch.from_numpy(x))[0].double().numpy()
    z = logits / temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    print(json.dumps({"model": name, "classes": meta["classes"],
                      "probabilities": {c: float(v) for c, v in zip(meta["classes"], p)},
                      "logits": [float(v) for v in logits]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
