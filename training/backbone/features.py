"""Frozen-backbone features, cached on disk (training/.cache, gitignored): the backbone runs once
per crop (no augmentation: the heads are linear or one hidden layer), on onnxruntime-node, which
is ~50x faster than this machine's CPU PyTorch build for MobileNetV2; heads then train in seconds.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
import torch

from ..export import ort_logits
from .net import Backbone

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "training" / ".cache"


def backbone_onnx(path: Path = CACHE / "backbone-features.onnx") -> Path:
    if not path.exists():
        model = Backbone().eval()
        torch.onnx.export(model, torch.zeros(1, 3, 224, 224), str(path), input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=13, do_constant_folding=True)
        onnx.checker.check_model(onnx.load(str(path)))
    return path


def cached_features(x_u8: np.ndarray, tag: str, chunk: int = 1024) -> np.ndarray:
    """[N,1280] float32 features of uint8 NHWC 224 crops; cached by content hash."""
    h = hashlib.sha256()
    h.update(str(x_u8.shape).encode())
    for i in range(0, len(x_u8), 256):
        h.update(np.ascontiguousarray(x_u8[i : i + 256]).tobytes())
    f = CACHE / f"features-{tag}-{h.hexdigest()[:16]}.npy"
    if f.exists():
        return np.load(f)
    onnx_path = backbone_onnx()
    parts = [ort_logits(onnx_path, x_u8[s : s + chunk]) for s in range(0, len(x_u8), chunk)]
    out = np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 1280), np.float32)
    np.save(f, out)
    return out
