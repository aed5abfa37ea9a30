"""Store the largest backbone weights as float16 in the ONNX file, computed in float32 (3.1.2 on).

Why: issue #12 budgets <= 10 MB of ONNX for the default models together; skin_mnv2-3.1.1.onnx is
10,204,751 bytes. Its two largest initializers, the 1x1 convs of the MobileNetV2 tail
(Conv_1 1280x320: 1.64 MB, block_16_project 320x960: 1.23 MB), hold 28 % of it.

How (two halves that must agree exactly):
1. PyTorch (`round_backbone`): each selected conv has its BatchNormalization folded into it
   (W' = W * gamma / sqrt(var + eps) per output channel, b' = beta - mean * gamma / sqrt(var + eps);
   Ioffe & Szegedy 2015, inference form; the BN module becomes the identity), then W' is rounded
   to the nearest float16 and kept as float32 (`W'.half().float()`, IEEE 754 round to nearest even).
   The bias stays float32. The export then writes W' as a float32 initializer whose every value is a
   float16 value, so the torch <-> onnxruntime parity checks compare the same weights.
2. ONNX (`store_fp16`): each float32 initializer of >= `min_elements` values is replaced by its
   float16 twin `<name>_fp16` and a `Cast(to=FLOAT)` node writing `<name>` (first in the graph).
   Refused unless float16 -> float32 gives back the exact float32 values (step 1 already rounded
   them), so the file computes exactly what the PyTorch module computes.
ONNX Runtime folds a Cast of an initializer at session creation (constant folding, a basic-level
graph optimisation; the engine uses 'all'), so the session runs the same float32 graph as before:
training/ort_optimized.mjs writes the optimised graph and training.export_regions checks that no
Cast of a stored weight is left in it.

Selection: `min_elements` (export_regions --fp16-min-elements, recorded in the checkpoint) = 300,000
takes exactly the two tensors above (the next, the heads' 1856x88 MatMuls and the 960x160 convs,
have 163,328 and 153,600): 1.43 MB less, 8.77 MB, and the heads keep float32 weights.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper


def _conv_of(mod: nn.Module) -> nn.Conv2d | None:
    if isinstance(mod, nn.Conv2d):
        return mod
    if isinstance(mod, nn.Sequential) and isinstance(mod[-1], nn.Conv2d):  # [_Pad, Conv2d]
        return mod[-1]
    return None


def round_backbone(graph, min_elements: int) -> list[str]:
    """Fold BN into, and round to float16, every conv of the KerasGraph `graph` whose weight has
    >= min_elements values and whose output only feeds one BatchNormalization. Returns the layers."""
    users: dict[str, list[tuple[str, str]]] = {}
    for name, cls, inputs in graph.order:
        for i in inputs:
            users.setdefault(i, []).append((name, cls))
    done = []
    for name, cls, _ in graph.order:
        if cls not in ("Conv2D", "DepthwiseConv2D"):
            continue
        conv = _conv_of(graph.mods[name.replace(".", "_")])
        if conv is None or conv.weight.numel() < min_elements:
            continue
        (bn_name, bn_cls), = users[name]  # MobileNetV2: every conv feeds exactly one BN
        if bn_cls != "BatchNormalization":
            raise ValueError(f"{name} feeds {bn_cls}, not a BatchNormalization: nothing to fold")
        key = bn_name.replace(".", "_")
        bn = graph.mods[key]
        with torch.no_grad():
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            w = conv.weight * scale.view(-1, 1, 1, 1)
            b = bn.bias - bn.running_mean * scale + (conv.bias * scale if conv.bias is not None else 0)
            conv.weight = nn.Parameter(w.half().float(), requires_grad=False)
            conv.bias = nn.Parameter(b.float(), requires_grad=False)
        graph.mods[key] = nn.Identity()
        done.append(name)
    if not done:
        raise ValueError(f"no conv has >= {min_elements} weights")
    return done


def store_fp16(path: Path, min_elements: int) -> list[str]:
    """Rewrite the ONNX file at `path`: float32 initializers of >= min_elements values -> float16 + Cast."""
    m = onnx.load(str(path))
    g = m.graph
    casts, names = [], []
    for k, t in enumerate(g.initializer):
        if t.data_type != TensorProto.FLOAT or int(np.prod(t.dims)) < min_elements:
            continue
        name, v = t.name, numpy_helper.to_array(t)
        h = v.astype(np.float16)
        if not np.array_equal(h.astype(np.float32), v):
            raise ValueError(f"{name}: not float16 values (round the PyTorch weights first: round_backbone)")
        g.initializer[k].CopyFrom(numpy_helper.from_array(h, f"{name}_fp16"))  # `t` is this same message
        casts.append(helper.make_node("Cast", [f"{name}_fp16"], [name], name=f"{name}_to_fp32", to=TensorProto.FLOAT))
        names.append(name)
    if not names:
        raise ValueError(f"no float32 initializer has >= {min_elements} values")
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return names
