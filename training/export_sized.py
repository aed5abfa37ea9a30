"""ONNX export of the backbone + heads network at a given square input side.

register_heads.export traces a 224 input; a model trained on another crop side (3.1.0: 192) is
traced at its own side, since the traced graph's spatial size is fixed (only the batch is
dynamic). Same names, opset and checks as register_heads.export.
"""
from __future__ import annotations

from pathlib import Path

import onnx
import torch


def export_at(net, path: Path, size: int) -> None:
    torch.onnx.export(net, torch.zeros(1, 3, size, size), str(path), input_names=["input"], output_names=net.names,
                      dynamic_axes={"input": {0: "N"}, **{n: {0: "N"} for n in net.names}}, opset_version=13,
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(str(path)))
