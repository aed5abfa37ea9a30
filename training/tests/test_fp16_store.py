"""training/backbone/fp16_store.py (float16-stored weights, skin_mnv2 3.1.2):
- round_backbone folds a conv's BatchNormalization into it (the same function to float32 rounding
  before the float16 step) and leaves float16 values in the conv, the BN the identity;
- store_fp16 writes a float16 initializer + Cast that gives back exactly the float32 values, and
  refuses values that are not float16 values (so the file never differs from the PyTorch twin).
The end-to-end checks (onnxruntime vs PyTorch on real crops, Casts folded in the session) are in
training/export_regions.py and test/parity.test.ts, test/region-acne.test.ts.

    /usr/bin/python3 -m unittest training.tests.test_fp16_store
"""
from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from training.backbone.fp16_store import round_backbone, store_fp16
from training.backbone.keras_torch import KerasGraph


def tiny_graph(rng: np.random.RandomState) -> KerasGraph:
    """InputLayer -> Conv2D 1x1 (8 -> 16, no bias) -> BatchNormalization, a Keras config as keras_torch reads it."""
    layers = [
        {"name": "in", "class_name": "InputLayer", "config": {"name": "in"}, "inbound_nodes": []},
        {"name": "conv", "class_name": "Conv2D", "inbound_nodes": [[["in", 0, 0, {}]]],
         "config": {"name": "conv", "kernel_size": [1, 1], "strides": [1, 1], "padding": "valid", "use_bias": False,
                    "data_format": "channels_last"}},
        {"name": "bn", "class_name": "BatchNormalization", "inbound_nodes": [[["conv", 0, 0, {}]]],
         "config": {"name": "bn", "axis": -1, "epsilon": 1e-3}},
    ]
    topo = {"config": {"layers": layers, "input_layers": [["in", 0, 0]], "output_layers": [["bn", 0, 0]]}}
    f = np.float32
    w = {"conv/kernel": rng.randn(1, 1, 8, 16).astype(f), "bn/gamma": (1 + 0.3 * rng.randn(16)).astype(f),
         "bn/beta": rng.randn(16).astype(f), "bn/moving_mean": rng.randn(16).astype(f),
         "bn/moving_variance": (0.5 + rng.rand(16)).astype(f)}
    return KerasGraph(topo, w).eval()


def matmul_model(w: np.ndarray) -> onnx.ModelProto:
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, w.shape[0]])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, w.shape[1]])],
                          [numpy_helper.from_array(w, "w")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


class RoundBackboneTest(unittest.TestCase):
    def test_fold_then_round(self):
        g = tiny_graph(np.random.RandomState(0))
        x = torch.randn(2, 8, 5, 5)
        with torch.no_grad():
            before = g(x)
            self.assertEqual(round_backbone(g, 16 * 8), ["conv"])
            after = g(x)
        self.assertIsInstance(g.mods["bn"], torch.nn.Identity)
        w = g.mods["conv"].weight.detach()
        self.assertTrue(torch.equal(w.half().float(), w), "the folded weights are float16 values")
        # float16 keeps 11 significant bits: relative rounding <= 2^-11 per weight, so the outputs move
        # by about that much of their scale, never more than 1e-2 here
        err = float((after - before).abs().max())
        self.assertGreater(err, 0.0)
        self.assertLess(err, 1e-2)

    def test_too_small_is_refused(self):
        with self.assertRaises(ValueError):
            round_backbone(tiny_graph(np.random.RandomState(1)), 10_000)


class StoreFp16Test(unittest.TestCase):
    def test_exact_and_smaller(self):
        w = np.random.RandomState(2).randn(64, 32).astype(np.float16).astype(np.float32)
        with tempfile.TemporaryDirectory() as td:
            p = Path(td) / "m.onnx"
            onnx.save(matmul_model(w), str(p))
            size = p.stat().st_size
            self.assertEqual(store_fp16(p, 1000), ["w"])
            m = onnx.load(str(p))
            self.assertLess(p.stat().st_size, size - 64 * 32 * 2 + 200)
        (init,) = m.graph.initializer
        self.assertEqual((init.name, init.data_type), ("w_fp16", TensorProto.FLOAT16))
        cast = m.graph.node[0]
        self.assertEqual((cast.op_type, list(cast.input), list(cast.output)), ("Cast", ["w_fp16"], ["w"]))
        self.assertEqual(cast.attribute[0].i, TensorProto.FLOAT)
        np.testing.assert_array_equal(numpy_helper.to_array(init).astype(np.float32), w)

    def test_unrounded_values_are_refused(self):
        w = np.random.RandomState(3).randn(64, 32).astype(np.float32)
        with tempfile.TemporaryDirectory() as td:
            p = Path(td) / "m.onnx"
            onnx.save(matmul_model(w), str(p))
            with self.assertRaises(ValueError):
                store_fp16(p, 1000)


if __name__ == "__main__":
    unittest.main()
