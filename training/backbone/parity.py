"""Converter parity helper for test/backbone.test.ts.

    /usr/bin/python3 -m training.backbone.parity INPUT.f32 N OUT.onnx

INPUT.f32: N x 224 x 224 x 3 float32 (NHWC RGB in [0, 1], the tfjs layout). Prints one JSON line
{features, probabilities} from the converted PyTorch module and writes the same module as ONNX
(input `input` NCHW, outputs `features` [N,1280] and `probabilities` [N,5]) for onnxruntime.
"""
from __future__ import annotations

import json
import sys

import numpy as np
import torch

from .mobilenet import NSFW_PROBS, POOLED, load_mobilenet


def main(argv: list[str]) -> int:
    path, n, onnx_out = argv[0], int(argv[1]), argv[2]
    x = np.fromfile(path, dtype="<f4").reshape(n, 224, 224, 3).transpose(0, 3, 1, 2).copy()
    model = load_mobilenet([POOLED, NSFW_PROBS])
    with torch.no_grad():
        feats, probs = model(torch.from_numpy(x))
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), onnx_out, input_names=["input"],
                      output_names=["features", "probabilities"], dynamic_axes={"input": {0: "n"}}, opset_version=13)
    print(json.dumps({"features": feats.tolist(), "probabilities": probs.tolist()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
