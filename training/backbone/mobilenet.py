"""nsfwjs@4.3.0's MobileNetV2 x1.0 as a PyTorch module (ImageNet weights from keras.applications,
then fine-tuned end to end on a 5-class NSFW image set by the nsfw_model project; MIT).

The tfjs files are written from the installed npm package (devDependency) by
`node training/backbone/dump_nsfwjs.mjs` into training/.cache/nsfwjs-mobilenet_v2 (gitignored)
and converted by keras_torch.py. Input: NCHW RGB in [0, 1], 224x224.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from .keras_torch import KerasGraph, load_tfjs_layers_model

REPO = Path(__file__).resolve().parents[2]
DUMP_DIR = REPO / "training" / ".cache" / "nsfwjs-mobilenet_v2"
FEATURE_MAP = "out_relu"  # 7x7x1280 after the last 1x1 conv + ReLU6
POOLED = "flatten_1"  # 1280, global average of FEATURE_MAP
NSFW_PROBS = "dense_3"  # nsfwjs's 5 classes (drawing, hentai, neutral, porn, sexy)


def ensure_dump(out: Path = DUMP_DIR) -> Path:
    if not (out / "model.json").exists():
        subprocess.run(["node", str(REPO / "training" / "backbone" / "dump_nsfwjs.mjs"), str(out)], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
    return out


def load_mobilenet(outputs: list[str] | None = None) -> KerasGraph:
    return load_tfjs_layers_model(ensure_dump(), outputs or [POOLED])
