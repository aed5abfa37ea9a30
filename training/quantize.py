"""INT8 static quantization to QDQ ONNX, written with the `onnx` package because Debian 12 has no
python3-onnxruntime (so onnxruntime.quantization is unavailable). Same scheme as onnxruntime's
default QDQ static quantization:

* activations: uint8, asymmetric, per tensor; range = min/max over calibration crops (run with
  onnxruntime-node); QuantizeLinear -> DequantizeLinear inserted on every input of
  Conv, Gemm, MaxPool and GlobalAveragePool (the graph input included);
* weights: int8, symmetric (zero point 0); per output channel for Conv, per tensor for Gemm;
* biases: int32 with scale = activation scale x weight scale, zero point 0.

onnxruntime fuses DQ -> Conv -> (Relu) -> Q into QLinearConv at load time.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .export import ort_ranges
from .spec import MEAN, STD

QUANT_INPUT_OPS = {"Conv", "Gemm", "MaxPool", "GlobalAveragePool"}


def _with_all_outputs(model: onnx.ModelProto) -> onnx.ModelProto:
    m = onnx.ModelProto()
    m.CopyFrom(model)
    existing = {o.name for o in m.graph.output}
    # only tensors that feed quantised ops need ranges (others may be int64 shape arithmetic)
    wanted = {i for n in m.graph.node if n.op_type in QUANT_INPUT_OPS for i in n.input}
    for node in m.graph.node:
        for o in node.output:
            if o and o not in existing and o in wanted:
                m.graph.output.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, None))
                existing.add(o)
    return m


def quantize_qdq(fp32_path: Path, out_path: Path, calib_u8: np.ndarray) -> dict:
    model = onnx.load(str(fp32_path))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    with tempfile.TemporaryDirectory() as td:
        probe = Path(td) / "probe.onnx"
        onnx.save(_with_all_outputs(model), str(probe))
        ranges = ort_ranges(probe, calib_u8)
    mean, std = np.array(MEAN), np.array(STD)
    ranges[g.input[0].name] = [float(((0 - mean) / std).min()), float(((1 - mean) / std).max())]

    new_inits: list[onnx.TensorProto] = []
    new_nodes: list[onnx.NodeProto] = []
    act_q: dict[str, tuple[str, float]] = {}  # tensor -> (dequantized name, scale)

    def quant_act(t: str) -> tuple[str, float]:
        if t in act_q:
            return act_q[t]
        lo, hi = ranges[t]
        lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
        scale = max((hi - lo) / 255.0, 1e-8)
        zp = int(np.clip(round(-lo / scale), 0, 255))
        s_name, z_name = f"{t}_scale", f"{t}_zp"
        new_inits.append(numpy_helper.from_array(np.array(scale, dtype=np.float32), s_name))
        new_inits.append(numpy_helper.from_array(np.array(zp, dtype=np.uint8), z_name))
        new_nodes.append(helper.make_node("QuantizeLinear", [t, s_name, z_name], [f"{t}_q"], name=f"{t}_Q"))
        new_nodes.append(helper.make_node("DequantizeLinear", [f"{t}_q", s_name, z_name], [f"{t}_dq"], name=f"{t}_DQ"))
        act_q[t] = (f"{t}_dq", scale)
        return act_q[t]

    n_q = 0
    body: list[onnx.NodeProto] = []
    for node in g.node:
        if node.op_type in QUANT_INPUT_OPS:
            x_dq, x_scale = quant_act(node.input[0])
            node.input[0] = x_dq
            if node.op_type in ("Conv", "Gemm") and node.input[1] in inits:
                w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float64)
                per_channel = node.op_type == "Conv"
                if node.op_type == "Gemm":
                    trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
                    if not trans_b:
                        raise ValueError("Gemm without transB is not handled")
                if per_channel:
                    amax = np.abs(w.reshape(w.shape[0], -1)).max(1)
                    w_scale = np.maximum(amax / 127.0, 1e-12)
                    wq = np.clip(np.round(w / w_scale.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127)
                else:
                    w_scale = np.array(max(np.abs(w).max() / 127.0, 1e-12))
                    wq = np.clip(np.round(w / w_scale), -127, 127)
                wn = node.input[1]
                new_inits += [
                    numpy_helper.from_array(wq.astype(np.int8), f"{wn}_q"),
                    numpy_helper.from_array(w_scale.astype(np.float32), f"{wn}_scale"),
                    numpy_helper.from_array(np.zeros(w_scale.shape, dtype=np.int8), f"{wn}_zp"),
                ]
                attrs = {"axis": 0} if per_channel else {}
                body.append(helper.make_node("DequantizeLinear", [f"{wn}_q", f"{wn}_scale", f"{wn}_zp"], [f"{wn}_dq"],
                                             name=f"{wn}_DQ", **attrs))
                node.input[1] = f"{wn}_dq"
                if len(node.input) > 2 and node.input[2] in inits:
                    bn = node.input[2]
                    b = numpy_helper.to_array(inits[bn]).astype(np.float64)
                    b_scale = (x_scale * w_scale) * np.ones_like(b) if per_channel else np.full(b.shape, x_scale * w_scale)
                    bq = np.round(b / b_scale).astype(np.int32)
                    if per_channel:
                        new_inits += [numpy_helper.from_array(bq, f"{bn}_q"),
                                      numpy_helper.from_array(b_scale.astype(np.float32), f"{bn}_scale"),
                                      numpy_helper.from_array(np.zeros(b.shape, dtype=np.int32), f"{bn}_zp")]
                        body.append(helper.make_node("DequantizeLinear", [f"{bn}_q", f"{bn}_scale", f"{bn}_zp"],
                                                     [f"{bn}_dq"], name=f"{bn}_DQ", axis=0))
                    else:
                        new_inits += [numpy_helper.from_array(bq, f"{bn}_q"),
                                      numpy_helper.from_array(np.array(x_scale * float(w_scale), dtype=np.float32), f"{bn}_scale"),
                                      numpy_helper.from_array(np.array(0, dtype=np.int32), f"{bn}_zp")]
                        body.append(helper.make_node("DequantizeLinear", [f"{bn}_q", f"{bn}_scale", f"{bn}_zp"],
                                                     [f"{bn}_dq"], name=f"{bn}_DQ"))
                    node.input[2] = f"{bn}_dq"
                n_q += 1
        body.append(node)
    # topological order: a Q/DQ pair must come right after its producer; simplest is to put
    # all activation Q/DQ nodes before the consumer chain by re-sorting.
    used = set()
    for n in body:
        used.update(n.input)
    for name in list(inits):
        if name not in used:
            g.initializer.remove(inits[name])
    g.initializer.extend(new_inits)
    del g.node[:]
    g.node.extend(_toposort(new_nodes + body, [i.name for i in g.input] + [i.name for i in g.initializer]))
    onnx.checker.check_model(model)
    onnx.save(model, str(out_path))
    return {"quantized_nodes": n_q, "activation_tensors": len(act_q), "calibration_images": int(len(calib_u8))}


def _toposort(nodes: list[onnx.NodeProto], available: list[str]) -> list[onnx.NodeProto]:
    have = set(available)
    have.add("")
    out, pending = [], list(nodes)
    while pending:
        progressed = False
        rest = []
        for n in pending:
            if all(i in have for i in n.input):
                out.append(n)
                have.update(n.output)
                progressed = True
            else:
                rest.append(n)
        if not progressed:
            raise ValueError("graph has a cycle or a missing input: " + ", ".join(n.name for n in rest[:5]))
        pending = rest
    return out
