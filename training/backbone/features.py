"""Frozen-backbone features, cached on disk (training/.cache, gitignored): the backbone runs once
per crop (no augmentation: the heads are linear or one hidden layer), on onnxruntime-node, which
is ~50x faster than this machine's CPU PyTorch build for MobileNetV2; heads then train in seconds.

`size` is the crop side (224 or 192: the ONNX graph has a fixed spatial size), `features` a
feature set of multi.py (`pooled`: 3.0.0's 1280; `b13+pooled`: 1856).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
import torch

from ..export import ort_logits
from .multi import FeatureBackbone

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "training" / ".cache"


def backbone_onnx(size: int = 224, features: str = "pooled") -> Path:
    name = "backbone-features.onnx" if (size, features) == (224, "pooled") else f"backbone-features-{size}-{features}.onnx"
    path = CACHE / name
    if not path.exists():
        model = FeatureBackbone(features).eval()
        tmp = path.with_suffix(".tmp.onnx")
        torch.onnx.export(model, torch.zeros(1, 3, size, size), str(tmp), input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13, do_constant_folding=True)
        onnx.checker.check_model(onnx.load(str(tmp)))
        tmp.rename(path)
    return path


def cached_features(x_u8: np.ndarray, tag: str, features: str = "pooled", chunk: int = 1024) -> np.ndarray:
    """[N,D] float32 features of uint8 NHWC square crops (side from the array); cached by content hash."""
    h = hashlib.sha256()
    h.update(str(x_u8.shape).encode())
    for i in range(0, len(x_u8), 256):
        h.update(np.ascontiguousarray(x_u8[i : i + 256]).tobytes())
    suffix = "" if features == "pooled" else f"-{features}"
    f = CACHE / f"features-{tag}{suffix}-{h.hexdigest()[:16]}.npy"
    if f.exists():
        return np.load(f)
    multi = CACHE / f"features-{tag}-b13+pooled-{h.hexdigest()[:16]}.npy"
    if features == "pooled" and multi.exists():
        return np.ascontiguousarray(np.load(multi)[:, -1280:])  # the same network's last 1280 outputs
    onnx_path = backbone_onnx(int(x_u8.shape[1]) if x_u8.ndim == 4 else 224, features)
    parts = [ort_logits(onnx_path, x_u8[s : s + chunk]) for s in range(0, len(x_u8), chunk)]
    out = np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 1280), np.float32)
    np.save(f, out)
    return out
