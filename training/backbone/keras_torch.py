"""tfjs layers model (Keras functional config + weight shards) -> PyTorch nn.Module.

Written for nsfwjs@4.3.0's MobileNetV2 (Keras 2.2.4 config), but generic over the layer
types it uses: InputLayer, ZeroPadding2D, Conv2D, DepthwiseConv2D, BatchNormalization, ReLU
(with max_value), Add, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dense, Dropout.
Any other layer type or option is refused with an error, never guessed.

Weights: tfjs's weights manifest lists (name, shape, dtype, quantization) in shard order;
uint8/uint16-quantised tensors are dequantised as `q * scale + min` (tfjs-core io's
`decodeWeights`, affine quantisation). Layouts: Keras conv kernels are [kh, kw, in, out] ->
torch [out, in, kh, kw]; depthwise [kh, kw, in, mult] -> [in*mult, 1, kh, kw]; Dense
[in, out] -> [out, in]. Tensors flow NCHW inside the module; the input is NCHW RGB in the
range the tfjs model expects (nsfwjs: [0, 1]).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

_DTYPES = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


def read_weights(model_dir: Path) -> dict[str, np.ndarray]:
    """All tensors of a tfjs model folder (model.json + shards), dequantised to float32."""
    spec = json.loads((model_dir / "model.json").read_text())
    out: dict[str, np.ndarray] = {}
    for group in spec["weightsManifest"]:
        buf = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if w["dtype"] != "float32":
                raise ValueError(f"{w['name']}: dtype {w['dtype']} not supported")
            if q:
                qd = np.dtype(_DTYPES[q["dtype"]])
                raw = np.frombuffer(buf, dtype=qd, count=n, offset=off)
                off += n * qd.itemsize
                if q["dtype"] == "float16":
                    vals = raw.astype(np.float32)
                else:
                    # as tfjs does it: JS doubles, stored into a Float32Array
                    vals = (raw.astype(np.float64) * q["scale"] + q["min"]).astype(np.float32)
            else:
                vals = np.frombuffer(buf, dtype=np.float32, count=n, offset=off).copy()
                off += n * 4
            out[w["name"]] = vals.astype(np.float32).reshape(w["shape"])
        if off != len(buf):
            raise ValueError(f"weight shards hold {len(buf)} bytes, the manifest describes {off}")
    return out


def _same_pad(kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    # TensorFlow "same": total padding so that out = ceil(in / stride); extra pixel at the end.
    # Exact only when the input side is a multiple of the stride (true for 224 inputs here).
    total = max((kernel - 1) * dilation + 1 - stride, 0)
    return total // 2, total - total // 2


class _Pad(nn.Module):
    def __init__(self, pads: tuple[int, int, int, int]):  # (left, right, top, bottom)
        super().__init__()
        self.pads = pads

    def forward(self, x):
        return F.pad(x, self.pads) if any(self.pads) else x


class _Flatten(nn.Module):
    """Keras Flatten on channels_last data: flatten in H, W, C order."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1) if x.dim() == 4 else x


class _Relu(nn.Module):
    def __init__(self, max_value):
        super().__init__()
        self.max_value = max_value

    def forward(self, x):
        return x.clamp(0.0, self.max_value) if self.max_value is not None else F.relu(x)


def _activation(name: str | None) -> nn.Module | None:
    if name in (None, "linear"):
        return None
    if name == "relu":
        return nn.ReLU()
    if name == "softmax":
        return nn.Softmax(dim=1)
    raise ValueError(f"activation {name!r} not supported")


def _check(cfg: dict, key: str, allowed) -> None:
    if key in cfg and cfg[key] not in allowed:
        raise ValueError(f"{cfg.get('name')}: {key}={cfg[key]!r} not supported")


def _conv(cls: str, cfg: dict, w: dict[str, np.ndarray]) -> nn.Module:
    name = cfg["name"]
    _check(cfg, "data_format", ("channels_last",))
    kh, kw = cfg["kernel_size"]
    sh, sw = cfg["strides"]
    dh, dw = cfg.get("dilation_rate", [1, 1])
    bias = cfg.get("use_bias", True)
    if cls == "Conv2D":
        k = w[f"{name}/kernel"]  # kh, kw, in, out
        cin, cout, groups = k.shape[2], k.shape[3], 1
        weight = torch.from_numpy(k.transpose(3, 2, 0, 1).copy())
    else:
        k = w[f"{name}/depthwise_kernel"]  # kh, kw, in, mult
        cin, mult = k.shape[2], k.shape[3]
        cout, groups = cin * mult, cin
        weight = torch.from_numpy(k.transpose(2, 3, 0, 1).reshape(cin * mult, 1, kh, kw).copy())
    pads = (0, 0, 0, 0)
    if cfg["padding"] == "same":
        t, b = _same_pad(kh, sh, dh)
        l, r = _same_pad(kw, sw, dw)
        pads = (l, r, t, b)
    elif cfg["padding"] != "valid":
        raise ValueError(f"{name}: padding {cfg['padding']!r} not supported")
    symmetric = pads[0] == pads[1] and pads[2] == pads[3]
    # symmetric padding goes into the conv itself (one ONNX Conv, no Pad node)
    conv = nn.Conv2d(cin, cout, (kh, kw), (sh, sw), (pads[2], pads[0]) if symmetric else 0, (dh, dw), groups, bias)
    conv.weight.data.copy_(weight)
    if bias:
        conv.bias.data.copy_(torch.from_numpy(w[f"{name}/bias"]))
    layers: list[nn.Module] = [] if symmetric else [_Pad(pads)]
    layers.append(conv)
    act = _activation(cfg.get("activation"))
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers) if len(layers) > 1 else conv


def build_layer(cls: str, cfg: dict, w: dict[str, np.ndarray]) -> nn.Module | None:
    """One Keras layer as a torch module (None for InputLayer / Add, handled by the graph)."""
    name = cfg.get("name")
    if cls in ("InputLayer", "Add"):
        return None
    if cls == "ZeroPadding2D":
        _check(cfg, "data_format", ("channels_last",))
        (t, b), (l, r) = cfg["padding"]
        return _Pad((l, r, t, b))
    if cls in ("Conv2D", "DepthwiseConv2D"):
        return _conv(cls, cfg, w)
    if cls == "BatchNormalization":
        if cfg.get("axis", -1) not in (-1, 3, [3], [-1]):
            raise ValueError(f"{name}: BatchNormalization axis {cfg['axis']} not supported")
        mean, var = w[f"{name}/moving_mean"], w[f"{name}/moving_variance"]
        bn = nn.BatchNorm2d(mean.shape[0], eps=cfg.get("epsilon", 1e-3))
        bn.running_mean.copy_(torch.from_numpy(mean))
        bn.running_var.copy_(torch.from_numpy(var))
        bn.weight.data.copy_(torch.from_numpy(w[f"{name}/gamma"]) if cfg.get("scale", True) else torch.ones_like(bn.weight))
        bn.bias.data.copy_(torch.from_numpy(w[f"{name}/beta"]) if cfg.get("center", True) else torch.zeros_like(bn.bias))
        return bn
    if cls == "ReLU":
        if cfg.get("negative_slope", 0) != 0 or cfg.get("threshold", 0) != 0:
            raise ValueError(f"{name}: leaky / thresholded ReLU not supported")
        return _Relu(cfg.get("max_value"))
    if cls == "AveragePooling2D":
        _check(cfg, "padding", ("valid",))
        _check(cfg, "data_format", ("channels_last",))
        return nn.AvgPool2d(tuple(cfg["pool_size"]), tuple(cfg["strides"] or cfg["pool_size"]))
    if cls == "GlobalAveragePooling2D":
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    if cls == "Flatten":
        return _Flatten()
    if cls == "Dropout":
        return nn.Identity()  # inference: dropout is the identity
    if cls == "Dense":
        k = w[f"{name}/kernel"]
        lin = nn.Linear(k.shape[0], k.shape[1], bias=cfg.get("use_bias", True))
        lin.weight.data.copy_(torch.from_numpy(k.T.copy()))
        if cfg.get("use_bias", True):
            lin.bias.data.copy_(torch.from_numpy(w[f"{name}/bias"]))
        act = _activation(cfg.get("activation"))
        return nn.Sequential(lin, act) if act is not None else lin
    raise ValueError(f"layer {name}: type {cls} not supported by the converter")


class _Used(dict):
    """Weights dict that records which tensors the layers read, so none is silently ignored."""

    def __init__(self, *a):
        super().__init__(*a)
        self.used: set[str] = set()

    def __getitem__(self, k):
        self.used.add(k)
        return super().__getitem__(k)


class KerasGraph(nn.Module):
    """The functional graph, run in the config's layer order (topological in Keras exports).
    `outputs`: layer names whose tensors forward() returns (default: the model's outputs)."""

    def __init__(self, topology: dict, weights: dict[str, np.ndarray], outputs: list[str] | None = None):
        super().__init__()
        cfg = topology["model_config"]["config"] if "model_config" in topology else topology["config"]
        weights = _Used(weights)
        self.order: list[tuple[str, str, list[str]]] = []
        self.mods = nn.ModuleDict()
        for layer in cfg["layers"]:
            name, cls = layer["name"], layer["class_name"]
            nodes = layer["inbound_nodes"]
            if len(nodes) > 1:
                raise ValueError(f"layer {name} is shared (called {len(nodes)} times): not supported")
            inputs = [n[0] for n in nodes[0]] if nodes else []
            mod = build_layer(cls, layer["config"], weights)
            if mod is not None:
                self.mods[name.replace(".", "_")] = mod
            self.order.append((name, cls, inputs))
        unused = sorted(set(weights) - weights.used)
        if unused:
            raise ValueError(f"weights not used by any layer: {unused[:5]}")
        self.input_name = cfg["input_layers"][0][0]
        self.outputs = outputs or [o[0] for o in cfg["output_layers"]]
        known = {n for n, _, _ in self.order}
        for o in self.outputs:
            if o not in known:
                raise ValueError(f"no layer named {o}")
        self._last = max(i for i, (n, _, _) in enumerate(self.order) if n in self.outputs)

    def forward(self, x):
        vals = {self.input_name: x}
        for name, cls, inputs in self.order[: self._last + 1]:
            if cls == "InputLayer":
                continue
            if cls == "Add":
                out = vals[inputs[0]]
                for extra in inputs[1:]:
                    out = out + vals[extra]
                vals[name] = out
            else:
                vals[name] = self.mods[name.replace(".", "_")](vals[inputs[0]])
        res = [vals[o] for o in self.outputs]
        return res[0] if len(res) == 1 else tuple(res)


def load_tfjs_layers_model(model_dir: Path, outputs: list[str] | None = None) -> KerasGraph:
    spec = json.loads((model_dir / "model.json").read_text())
    model = KerasGraph(spec["modelTopology"], read_weights(model_dir), outputs)
    return model.eval()
