"""Seed import: random seed-architecture state dicts (with the seed's own-style key names) ->
ONNX files + registry entries; ONNX outputs match PyTorch.
Run: /usr/bin/python3 -m unittest training.tests.test_import_seed"""
import json
import subprocess
import tempfile
import unittest
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parents[2]


class SeedLike(nn.Module):
    """Written like the seed might have: named layers, not our Sequential names."""

    def __init__(self, channels, n_out):
        super().__init__()
        cin = 3
        for i, c in enumerate(channels):
            setattr(self, f"conv{i + 1}", nn.Conv2d(cin, c, 3, padding=1))
            cin = c
        self.pool = nn.MaxPool2d(2)
        side = 224 // 2 ** len(channels)
        self.fc1 = nn.Linear(cin * side * side, 512)
        self.dropout = nn.Dropout(0.5)
        self.fc2 = nn.Linear(512, n_out)
        self.n = len(channels)

    def forward(self, x):
        for i in range(self.n):
            x = self.pool(torch.relu(getattr(self, f"conv{i + 1}")(x)))
        return self.fc2(self.dropout(torch.relu(self.fc1(x.flatten(1)))))


class ImportSeedTest(unittest.TestCase):
    def test_import(self):
        torch.manual_seed(0)
        torch.set_num_threads(2)
        acne, cond = SeedLike((32, 64, 128), 2).eval(), SeedLike((32, 64, 128, 256), 5).eval()
        with tempfile.TemporaryDirectory() as td:
            td = Path(td)
            torch.save(acne.state_dict(), td / "acne_binary_v1.pt")
            # the condition file as an OrderedDict in a different key order, wrapped like a training checkpoint
            sd = cond.state_dict()
            torch.save({"state_dict": OrderedDict(reversed(list(sd.items())))}, td / "other_condition_v1.pt")
            out = td / "models"
            from training import import_seed

            self.assertEqual(import_seed.main([str(td / "acne_binary_v1.pt"), str(td / "other_condition_v1.pt"),
                                               "--out", str(out)]), 0)
            man = json.loads((out / "manifest.json").read_text())
            byname = {e["name"]: e for e in man["models"]}
            self.assertEqual(set(byname), {"acne_binary", "skin_condition"})
            self.assertEqual(byname["acne_binary"]["classes"], ["no_acne", "acne"])
            self.assertEqual(len(byname["skin_condition"]["classes"]), 5)
            for e in man["models"]:
                self.assertEqual(e["version"], "1.0.0")
                self.assertFalse(e["default"])
                import hashlib
                self.assertEqual(hashlib.sha256((out / e["file"]).read_bytes()).hexdigest(), e["sha256"])
            # onnxruntime-node output == the original module's output
            from training.export import ort_logits

            x = (np.random.RandomState(0).rand(2, 224, 224, 3) * 255).astype(np.uint8)
            from training.train import normalise

            for model, name in ((acne, "acne_binary"), (cond, "skin_condition")):
                with torch.no_grad():
                    ref = model(normalise(torch.from_numpy(x))).numpy()
                got = ort_logits(out / byname[name]["file"], x)
                np.testing.assert_allclose(got, ref, atol=1e-4, rtol=1e-4)

    def test_rejects_other_architectures(self):
        from training.seedio import seed_from_state_dict

        with self.assertRaises(ValueError):
            seed_from_state_dict(nn.Sequential(nn.Conv2d(3, 8, 3), nn.Linear(8, 2)).state_dict())


if __name__ == "__main__":
    unittest.main()
