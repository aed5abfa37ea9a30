"""training/calibrate.py's vector scaling and isotonic regression, and heads.task_weights:
- vector scaling folded into a head's last layer gives the same logits as applying it after;
- fitted on logits 3x too sharp, it recovers a scale near 1/3 and lowers ECE;
- isotonic regression is monotone and matches the empirical rate on a step;
- the healthy dark-skin weight multiplies exactly the healthy dark rows.

    /usr/bin/python3 -m unittest training.tests.test_calibrate_vector
"""
from __future__ import annotations

import unittest

import numpy as np
import torch

from training import metrics as M
from training.calibrate import (apply_vector_scaling, clip_probs, fit_vector_scaling, fold_vector_scaling, isotonic_apply,
                                isotonic_fit, softmax_t)
from training.heads import Head, head_logits, last_linear, task_weights


def sharp_logits(n=3000, k=3, sharpen=3.0, seed=0):
    rng = np.random.RandomState(seed)
    z = rng.randn(n, k) * 1.5
    y = np.array([rng.choice(k, p=softmax_t(z[i:i + 1])[0]) for i in range(n)])  # calibrated at T = 1
    return z * sharpen, y


class VectorScalingTest(unittest.TestCase):
    def test_fold_equals_apply(self):
        torch.manual_seed(0)
        f = np.random.RandomState(1).randn(50, 16).astype(np.float32)
        for hidden in (0, 8):
            head = Head(f.mean(0), f.std(0) + 1e-3, 3, hidden).eval()
            a, b = np.array([0.5, 2.0, 1.3]), np.array([0.1, -0.2, 0.3])
            want = apply_vector_scaling(head_logits(head, f), a, b)
            fold_vector_scaling(last_linear(head), a, b)
            np.testing.assert_allclose(head_logits(head, f), want, atol=1e-5)

    def test_recovers_the_temperature_and_lowers_ece(self):
        z, y = sharp_logits()
        a, b = fit_vector_scaling(z, y)
        np.testing.assert_allclose(a, 1 / 3, atol=0.06)
        before = M.ece(clip_probs(softmax_t(z)), y)
        after = M.ece(clip_probs(softmax_t(apply_vector_scaling(z, a, b))), y)
        self.assertGreater(before, 0.08)
        self.assertLess(after, 0.03)


class IsotonicTest(unittest.TestCase):
    def test_monotone_and_empirical(self):
        rng = np.random.RandomState(0)
        s = rng.rand(4000)
        y = (rng.rand(4000) < np.where(s > 0.5, 0.8, 0.2)).astype(int)
        ends, vals = isotonic_fit(s, y)
        self.assertTrue(np.all(np.diff(vals) >= 0))
        q = isotonic_apply(np.array([0.1, 0.3, 0.7, 0.9]), ends, vals)
        np.testing.assert_allclose(q, [0.2, 0.2, 0.8, 0.8], atol=0.06)


class DarkHealthyWeightTest(unittest.TestCase):
    def test_only_healthy_dark_rows_weigh_more(self):
        y = np.array([0, 0, 1, 1, 0, 1])
        tones = ["dark", "light", "dark", "light", "dark", "medium"]
        dom = ["face"] * 6
        w1, w2 = task_weights(y, dom, tones, 1.0), task_weights(y, dom, tones, 2.0)
        ratio = (w2 / w1) / (w2 / w1)[1]
        np.testing.assert_allclose(ratio, [2, 1, 1, 1, 2, 1])
        self.assertAlmostEqual(float(w2.mean()), 1.0)


if __name__ == "__main__":
    unittest.main()
