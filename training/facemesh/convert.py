"""Converts MediaPipe FaceMesh (the 192x192 TF.js graph model shipped in @vladmandic/human) to ONNX.

Reads the package's `facemesh.json` (a TF GraphDef as JSON, the format of tfjs-converter) and
`facemesh.bin` (the weights, float16-quantised floats and int32 constants, in manifest order), and
writes an ONNX graph that computes the same function on onnxruntime:

    input   [N, 192, 192, 3] float32, RGB in [0, 1] (the TF.js model's own input, NHWC)
    mesh    [N, 1404]  468 x (x, y, z) in crop pixels          (the graph's Identity_2, `output_mesh`)
    score   [N, 1]     face presence, already a sigmoid        (Identity_1, `output_faceflag`)

The contours output (Identity, 266 values) is not used by skinsight: the nodes only it needs are
pruned, so the ONNX graph is smaller than the TF.js one.

Op mapping (TF semantics: tensorflow.org/api_docs/python/tf/nn; ONNX: onnx.ai/onnx/operators):
  - the input is transposed once to NCHW; every op below then runs in NCHW;
  - `_FusedConv2D` (Conv2D + BiasAdd [+ Prelu], fused by tfjs-converter) -> Conv (+ PRelu);
    filter HWIO -> OIHW;
  - `DepthwiseConv2dNative` -> Conv with group = in channels; filter [H, W, C, M] -> [C*M, 1, H, W]
    (output channel c*M + m, as TF orders them);
  - padding "SAME" -> explicit pads, TF's rule: total = max((ceil(in/s) - 1) * s + k - in, 0),
    floor(total / 2) before and the rest after (ONNX's SAME_UPPER; written out, not left to auto_pad);
  - `Prelu` -> PRelu, slope [1, 1, C] -> [C, 1, 1] (TF.js prelu: x < 0 ? alpha * x : x);
  - `AddV2` -> Add; `MaxPool` -> MaxPool; `Sigmoid` -> Sigmoid;
  - `Pad` (the blocks' channel zero-padding, NHWC paddings [4, 2]) -> Pad with the paddings
    permuted to NCHW;
  - `Reshape` -> Transpose back to NHWC, then Reshape with the graph's shape constant (so the
    flattening order is TF's whatever the shape before it).

float16 weights are widened to float32 exactly as TF.js dequantises them (IEEE half -> float).
Usage: /usr/bin/python3 -m training.facemesh.convert [OUT.onnx]   (default models/facemesh-468.onnx)
"""
from __future__ import annotations

import base64
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "node_modules" / "@vladmandic" / "human"
INPUT = 192
OUTPUTS = {"mesh": "Identity_2", "score": "Identity_1"}
OPSET = 13


def package_version() -> str:
    return json.loads((PACKAGE / "package.json").read_text())["version"]


def read_weights(manifest: list[dict], blob: bytes) -> dict[str, np.ndarray]:
    """The weight shard, entry by entry in manifest order (tfjs-converter's layout)."""
    out: dict[str, np.ndarray] = {}
    offset = 0
    for w in manifest:
        shape = [int(d) for d in w["shape"]]
        count = int(np.prod(shape)) if shape else 1
        stored = w.get("quantization", {}).get("dtype", w["dtype"])
        dtype = {"float16": np.float16, "float32": np.float32, "int32": np.int32}[stored]
        size = count * np.dtype(dtype).itemsize
        arr = np.frombuffer(blob, dtype=dtype, count=count, offset=offset).reshape(shape)
        offset += size
        out[w["name"]] = arr.astype(np.float32) if w["dtype"] == "float32" else arr.astype(np.int32)
    if offset != len(blob):
        raise ValueError(f"weights manifest covers {offset} bytes of {len(blob)}")
    return out


def attr_ints(node: dict, key: str) -> list[int]:
    return [int(i) for i in node["attr"][key]["list"]["i"]]


def attr_str(node: dict, key: str) -> str:
    return base64.b64decode(node["attr"][key]["s"]).decode()


def same_pads(size: int, k: int, s: int) -> tuple[int, int]:
    total = max((math.ceil(size / s) - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def out_size(size: int, k: int, s: int, padding: str) -> int:
    return math.ceil(size / s) if padding == "SAME" else (size - k) // s + 1


def bare(name: str) -> str:
    return name.split(":")[0]


class Converter:
    def __init__(self, graph: list[dict], weights: dict[str, np.ndarray]):
        self.by_name = {n["name"]: n for n in graph}
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.shape: dict[str, tuple[int, int, int]] = {}  # NCHW tensor -> (C, H, W)

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def needed(self, outputs: list[str]) -> list[str]:
        """Nodes the outputs depend on, in topological order (the rest is pruned)."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for i in self.by_name[name].get("input", []):
                visit(bare(i))
            order.append(name)

        for o in outputs:
            visit(o)
        return order

    def convert(self) -> onnx.ModelProto:
        for name in self.needed(list(OUTPUTS.values())):
            n = self.by_name[name]
            getattr(self, "op_" + n["op"].lstrip("_"))(n)
        graph = helper.make_graph(
            self.nodes,
            "facemesh_468",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", INPUT, INPUT, 3])],
            [
                helper.make_tensor_value_info("mesh", TensorProto.FLOAT, ["N", 1404]),
                helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N", 1]),
            ],
            self.inits,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="skinsight training/facemesh/convert.py")
        model.ir_version = 8
        return model

    # --- ops -------------------------------------------------------------------------------
    def op_Const(self, n: dict) -> None:
        pass  # read from the weights where an op needs them

    def op_Placeholder(self, n: dict) -> None:
        self.nodes.append(helper.make_node("Transpose", ["input"], [n["name"]], perm=[0, 3, 1, 2]))
        self.shape[n["name"]] = (3, INPUT, INPUT)

    def conv(self, n: dict, x: str, w: np.ndarray, group: int, bias: str | None) -> str:
        c, h, wd = self.shape[x]
        kh, kw = w.shape[2], w.shape[3]
        sh, sw = attr_ints(n, "strides")[1:3]
        if attr_ints(n, "dilations") != [1, 1, 1, 1]:
            raise ValueError(f"{n['name']}: dilations not supported")
        padding = attr_str(n, "padding")
        if attr_str(n, "data_format") != "NHWC":
            raise ValueError(f"{n['name']}: data_format")
        ph = same_pads(h, kh, sh) if padding == "SAME" else (0, 0)
        pw = same_pads(wd, kw, sw) if padding == "SAME" else (0, 0)
        inputs = [x, self.const(n["name"] + "/W", w)] + ([bias] if bias else [])
        out = n["name"] + "/conv"
        self.nodes.append(helper.make_node("Conv", inputs, [out], kernel_shape=[kh, kw], strides=[sh, sw], pads=[ph[0], pw[0], ph[1], pw[1]], group=group))
        self.shape[out] = (w.shape[0], out_size(h, kh, sh, padding), out_size(wd, kw, sw, padding))
        return out

    def op_FusedConv2D(self, n: dict) -> None:
        fused = [base64.b64decode(s).decode() for s in n["attr"]["fused_ops"]["list"]["s"]]
        if fused not in (["BiasAdd"], ["BiasAdd", "Prelu"]):
            raise ValueError(f"{n['name']}: fused ops {fused}")
        x, wname, bname, *rest = [bare(i) for i in n["input"]]
        w = self.weights[wname].transpose(3, 2, 0, 1)  # HWIO -> OIHW
        bias = self.const(bname, self.weights[bname].reshape(-1))
        out = self.conv(n, x, np.ascontiguousarray(w), 1, bias)
        if fused[-1] == "Prelu":
            out = self.prelu(out, rest[0], n["name"])
        else:
            self.nodes.append(helper.make_node("Identity", [out], [n["name"]]))
        self.shape[n["name"]] = self.shape[out]

    def op_DepthwiseConv2dNative(self, n: dict) -> None:
        x, wname = [bare(i) for i in n["input"]]
        kh, kw, c, m = self.weights[wname].shape
        w = self.weights[wname].reshape(kh, kw, c * m).transpose(2, 0, 1).reshape(c * m, 1, kh, kw)
        out = self.conv(n, x, np.ascontiguousarray(w), c, None)
        self.nodes.append(helper.make_node("Identity", [out], [n["name"]]))
        self.shape[n["name"]] = self.shape[out]

    def prelu(self, x: str, alpha: str, out: str) -> str:
        slope = self.weights[alpha].reshape(-1, 1, 1)
        self.nodes.append(helper.make_node("PRelu", [x, self.const(alpha + "/slope", slope)], [out]))
        self.shape[out] = self.shape[x]
        return out

    def op_Prelu(self, n: dict) -> None:
        x, alpha = [bare(i) for i in n["input"]]
        self.prelu(x, alpha, n["name"])

    def op_AddV2(self, n: dict) -> None:
        a, b = [bare(i) for i in n["input"]]
        if self.shape[a] != self.shape[b]:
            raise ValueError(f"{n['name']}: {self.shape[a]} + {self.shape[b]}")
        self.nodes.append(helper.make_node("Add", [a, b], [n["name"]]))
        self.shape[n["name"]] = self.shape[a]

    def op_MaxPool(self, n: dict) -> None:
        (x,) = [bare(i) for i in n["input"]]
        kh, kw = attr_ints(n, "ksize")[1:3]
        sh, sw = attr_ints(n, "strides")[1:3]
        if attr_str(n, "padding") != "VALID":
            raise ValueError(f"{n['name']}: MaxPool padding")
        self.nodes.append(helper.make_node("MaxPool", [x], [n["name"]], kernel_shape=[kh, kw], strides=[sh, sw]))
        c, h, w = self.shape[x]
        self.shape[n["name"]] = (c, out_size(h, kh, sh, "VALID"), out_size(w, kw, sw, "VALID"))

    def op_Pad(self, n: dict) -> None:
        x, pname = [bare(i) for i in n["input"]]
        p = self.weights[pname].astype(np.int64)  # NHWC [[before, after]] per axis
        nchw = p[[0, 3, 1, 2]]
        pads = np.concatenate([nchw[:, 0], nchw[:, 1]])
        self.nodes.append(helper.make_node("Pad", [x, self.const(pname + "/nchw", pads)], [n["name"]], mode="constant"))
        c, h, w = self.shape[x]
        self.shape[n["name"]] = (c + int(nchw[1].sum()), h + int(nchw[2].sum()), w + int(nchw[3].sum()))

    def op_Sigmoid(self, n: dict) -> None:
        (x,) = [bare(i) for i in n["input"]]
        self.nodes.append(helper.make_node("Sigmoid", [x], [n["name"]]))
        self.shape[n["name"]] = self.shape[x]

    def op_Reshape(self, n: dict) -> None:
        x, sname = [bare(i) for i in n["input"]]
        nhwc = n["name"] + "/nhwc"
        self.nodes.append(helper.make_node("Transpose", [x], [nhwc], perm=[0, 2, 3, 1]))
        shape = self.const(sname, self.weights[sname].astype(np.int64))
        self.nodes.append(helper.make_node("Reshape", [nhwc, shape], [n["name"]]))

    def op_Identity(self, n: dict) -> None:
        (x,) = [bare(i) for i in n["input"]]
        out = next((k for k, v in OUTPUTS.items() if v == n["name"]), n["name"])
        self.nodes.append(helper.make_node("Identity", [x], [out]))


def convert() -> onnx.ModelProto:
    spec = json.loads((PACKAGE / "models" / "facemesh.json").read_text())
    manifest = [w for m in spec["weightsManifest"] for w in m["weights"]]
    blob = b"".join((PACKAGE / "models" / p).read_bytes() for m in spec["weightsManifest"] for p in m["paths"])
    model = Converter(spec["modelTopology"]["node"], read_weights(manifest, blob)).convert()
    helper.set_model_props(model, {"source": f"@vladmandic/human {package_version()} models/facemesh.json + facemesh.bin (MediaPipe FaceMesh, Apache-2.0)"})
    onnx.checker.check_model(model)
    return model


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "facemesh-468.onnx"
    model = convert()
    onnx.save(model, str(out))
    print(f"{out}: {out.stat().st_size} bytes, {len(model.graph.node)} nodes, opset {OPSET}")


if __name__ == "__main__":
    main()
