"""training/calibrate_oos.py: the source folds cover the real training sources and keep a training
source for the classes they score; the leave-one-fold-out temperature corrects overconfidence.

    /usr/bin/python3 -m unittest training.tests.test_calibrate_oos
"""
from __future__ import annotations

import unittest
from pathlib import Path

import numpy as np

from training import data as D
from training import metrics as M
from training.calibrate import clip_probs, softmax_t
from training.calibrate_oos import FOLDS, fold_ece

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


class FoldsTest(unittest.TestCase):
    @unittest.skipUnless((DATA / "MANIFEST.tsv").exists(), "../shared/datasets not present")
    def test_folds_cover_the_training_sources(self):
        items = [it for it in D.read_manifest(DATA) if it.source not in D.TEST_SOURCES or it.source == "utkface"]
        subs = {it.subsource for it in items}
        self.assertEqual(subs - set(FOLDS), set(), "a training sub-source has no fold")
        for g in sorted(set(FOLDS.values())):
            rest = {it.cls for it in items if FOLDS[it.subsource] != g}
            # acne, normal and rosacea are always scored out of source
            self.assertTrue({"acne", "normal", "rosacea"} <= rest, (g, rest))


class FoldEceTest(unittest.TestCase):
    def test_overconfident_logits_get_a_temperature_that_lowers_ece(self):
        rng = np.random.RandomState(0)
        n = 2000
        y = rng.randint(0, 2, n)
        # logits 4x too sharp for their accuracy (75 %)
        correct = rng.rand(n) < 0.75
        pred = np.where(correct, y, 1 - y)
        z = np.zeros((n, 2))
        z[np.arange(n), pred] = 4.4  # softmax ~0.99 on a 75 % classifier
        fold = np.array(list("ABCD"))[rng.randint(0, 4, n)]
        raw = M.ece(clip_probs(softmax_t(z)), y)
        self.assertGreater(raw, 0.2)
        self.assertLess(fold_ece(z, y, fold), 0.05)


if __name__ == "__main__":
    unittest.main()
