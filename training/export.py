"""ONNX export (input `input` float32 [N,3,224,224], output `logits` [N,C], dynamic batch, opset 13)
and checks: onnx.checker, and onnxruntime-node (the engine's runtime) vs PyTorch outputs."""
from __future__ import annotations

import copy
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .models import CompactNet, DWSeparable

REPO = Path(__file__).resolve().parent.parent
OPSET = 13


def fuse_for_export(model: nn.Module) -> nn.Module:
    """Fold BatchNorm into the preceding conv (eval mode): fewer nodes, same outputs."""
    m = copy.deepcopy(model).eval()
    if isinstance(m, CompactNet):
        m.stem[0] = fuse_conv_bn_eval(m.stem[0], m.stem[1])
        m.stem[1] = nn.Identity()
        for b in m.blocks:
            assert isinstance(b, DWSeparable)
            b.dw = fuse_conv_bn_eval(b.dw, b.bn1)
            b.bn1 = nn.Identity()
            b.pw = fuse_conv_bn_eval(b.pw, b.bn2)
            b.bn2 = nn.Identity()
    return m


def export_onnx(model: nn.Module, path: Path) -> None:
    m = fuse_for_export(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        m, torch.zeros(1, 3, 224, 224), str(path), input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=OPSET, do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(str(path)))


def ort_logits(onnx_path: Path, x_u8: np.ndarray, output: str = "logits") -> np.ndarray:
    """Logits (the ONNX output `output`) from onnxruntime-node for uint8 NHWC crops (normalised in JS like the engine)."""
    with tempfile.TemporaryDirectory() as td:
        inp, out = Path(td) / "in.u8", Path(td) / "out.f32"
        np.ascontiguousarray(x_u8, dtype=np.uint8).tofile(inp)
        subprocess.run(["node", str(REPO / "training" / "ort_run.mjs"), "logits", str(onnx_path), str(inp),
                        str(len(x_u8)), str(out), output], check=True, cwd=REPO)
        return np.fromfile(out, dtype=np.float32).reshape(len(x_u8), -1)


def ort_ranges(onnx_path: Path, x_u8: np.ndarray) -> dict:
    with tempfile.TemporaryDirectory() as td:
        inp, out = Path(td) / "in.u8", Path(td) / "ranges.json"
        np.ascontiguousarray(x_u8, dtype=np.uint8).tofile(inp)
        subprocess.run(["node", str(REPO / "training" / "ort_run.mjs"), "ranges", str(onnx_path), str(inp),
                        str(len(x_u8)), str(out)], check=True, cwd=REPO)
        return json.loads(out.read_text())


def ort_bench(*paths: Path) -> dict:
    r = subprocess.run(["node", str(REPO / "training" / "ort_run.mjs"), "bench", *map(str, paths)], check=True,
                       cwd=REPO, capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def ort_ab(a: Path, b: Path, rounds: int = 200) -> dict:
    """Batch-1 times of two files on one intra-op thread, called in alternation (ort_run.mjs ab)."""
    r = subprocess.run(["node", str(REPO / "training" / "ort_run.mjs"), "ab", str(a), str(b), str(rounds)], check=True,
                       cwd=REPO, capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def torch_logits(model: nn.Module, x_u8: np.ndarray) -> np.ndarray:
    from .train import normalise

    model.eval()
    with torch.no_grad():
        return model(normalise(torch.from_numpy(np.ascontiguousarray(x_u8)))).numpy()


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def compare_torch_ort(model: nn.Module, onnx_path: Path, x_u8: np.ndarray) -> dict:
    a = torch_logits(model, x_u8)
    b = ort_logits(onnx_path, x_u8)
    return {"n": int(len(x_u8)), "max_abs_logit_diff": float(np.abs(a - b).max()),
            "max_abs_prob_diff": float(np.abs(softmax(a) - softmax(b)).max())}
