"""Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks", sec. 4.2):
one scalar T > 0 per model, fitted on validation logits by minimising the negative log-likelihood
of softmax(z / T). It keeps the argmax, so accuracy and macro-F1 do not change; the engine
applies the same T (manifest `calibration.temperature`) and clips probabilities to
[PROB_MIN, PROB_MAX], so no answer is ever exactly 0 or 1.
"""
from __future__ import annotations

import numpy as np

PROB_MIN, PROB_MAX = 0.005, 0.995


def softmax_t(z: np.ndarray, t: float = 1.0) -> np.ndarray:
    z = z / t
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def clip_probs(p: np.ndarray) -> np.ndarray:
    """Clip to [PROB_MIN, PROB_MAX] and renormalise; two classes stay exactly inside the range."""
    q = np.clip(p, PROB_MIN, PROB_MAX)
    q = q / q.sum(1, keepdims=True)
    return np.clip(q, PROB_MIN, PROB_MAX)


def nll(z: np.ndarray, y: np.ndarray, t: float, w: np.ndarray | None = None) -> float:
    p = softmax_t(z.astype(np.float64), t)
    ll = -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0))
    return float(np.average(ll, weights=w))


def fit_temperature(z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float:
    """T minimising validation NLL: log-spaced grid 0.05..20, then a finer grid around the best."""
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 121))
    best = min(grid, key=lambda t: nll(z, y, t, w))
    fine = best * np.exp(np.linspace(-0.05, 0.05, 41))
    return float(round(min(fine, key=lambda t: nll(z, y, t, w)), 4))
