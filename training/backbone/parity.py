"""Converter parity helper for test/backbone.test.ts.

    /usr/bin/python3 -m training.backbone.parity INPUT.f32 N OUT.onnx [SIDE]

INPUT.f32: N x SIDE x SIDE x 3 float32 (NHWC RGB in [0, 1], the tfjs layout; SIDE 224 by default).
Prints one JSON line {features, probabilities, block13} from the converted PyTorch module and
writes the same module as ONNX (input `input` NCHW at SIDE, outputs `features` [N,1280],
`probabilities` [N,5] (224 only: the head's 7x7 pool is fixed) and `block13` [N,576], the global
average of block_13_expand_relu) for onnxruntime. At a side other than 224 `features` is the global
average of out_relu, which at 224 is what flatten_1 holds.
"""
from __future__ import annotations

import json
import sys

import numpy as np
import torch

from .mobilenet import FEATURE_MAP, NSFW_PROBS, POOLED, load_mobilenet
from .multi import MID


class _WithMid(torch.nn.Module):
    """224: flatten_1, the 5 outputs and pooled block 13; another side: the global average of
    out_relu and pooled block 13 (the head's fixed 7x7 pool does not fit a 6x6 map)."""

    def __init__(self, side: int):
        super().__init__()
        self.side = side
        self.net = load_mobilenet([POOLED, NSFW_PROBS, MID] if side == 224 else [FEATURE_MAP, MID])

    def forward(self, x):
        if self.side == 224:
            f, p, m = self.net(x)
            return f, p, m.mean((2, 3))
        f, m = self.net(x)
        return f.mean((2, 3)), m.mean((2, 3))


def main(argv: list[str]) -> int:
    path, n, onnx_out = argv[0], int(argv[1]), argv[2]
    side = int(argv[3]) if len(argv) > 3 else 224
    x = np.fromfile(path, dtype="<f4").reshape(n, side, side, 3).transpose(0, 3, 1, 2).copy()
    model = _WithMid(side).eval()
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    feats, mid, probs = (out[0], out[2], out[1]) if side == 224 else (out[0], out[1], None)
    names = ["features", "probabilities", "block13"] if side == 224 else ["features", "block13"]
    torch.onnx.export(model, torch.zeros(1, 3, side, side), onnx_out, input_names=["input"],
                      output_names=names, dynamic_axes={"input": {0: "n"}}, opset_version=13)
    print(json.dumps({"features": feats.tolist(), "probabilities": [] if probs is None else probs.tolist(), "block13": mid.tolist()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
