"""training/heads.py load_data: `ita=False` really defers the engine's ITA of the test images.

The engine ITA (attach_ita) runs `skinsight analyze` over the test sources; select_heads and
calibrate_oos pass `ita=False` because they choose on validation only. A local list once shadowed
the `ita` flag, so the flag was ignored and the slow step always ran. The heavy loaders are
replaced by tiny stand-ins here, so this runs without the dataset or its caches.

    /usr/bin/python3 -m unittest training.tests.test_load_data
"""
from __future__ import annotations

import unittest
from pathlib import Path
from unittest import mock

import numpy as np

from training import heads as H


class Row:
    def __init__(self, mode: str):
        self.mode, self.file, self.split = mode, f"x/{mode}.jpg", "train"


def fake_rows(_data_dir, _seed, size=224):
    items, patches = [Row("face"), Row("closeup")], [Row("patch")]
    img = np.full((size, size, 3), 128, np.uint8)
    return items, patches, np.stack([img, img]), np.stack([img])


class LoadDataTest(unittest.TestCase):
    def load(self, **kw):
        with mock.patch.object(H, "engine_rows", fake_rows), \
                mock.patch.object(H, "cached_features", lambda X, _name, _f: np.zeros((len(X), 4), np.float32)), \
                mock.patch.object(H.D, "split_summary", lambda rows: {}), \
                mock.patch.object(H, "attach_ita", side_effect=lambda d: d) as attach:
            d = H.load_data(Path("unused"), 42, lambda *_: None, **kw)
        return d, attach

    def test_ita_false_defers_the_engine_ita(self):
        d, attach = self.load(ita=False)
        attach.assert_not_called()
        self.assertEqual(len(d.tones), 3)
        self.assertEqual(d.ita_cat, [])

    def test_ita_true_attaches_it(self):
        _, attach = self.load(ita=True)
        attach.assert_called_once()


if __name__ == "__main__":
    unittest.main()
