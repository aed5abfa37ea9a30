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


def fit_vector_scaling(z: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, l2: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """Vector scaling (Guo et al. 2017, sec. 4.2): p = softmax(a * z + b), one scale a_k and bias b_k
    per class, fitted by (weighted) NLL with a small L2 pull of a to 1 and b to 0 (L-BFGS). It can
    change the argmax (the bias moves the boundary), so it is chosen on validation like any other
    choice. Served by folding it into the head's last linear layer (`fold_vector_scaling`), with
    temperature 1 in the manifest: the engine needs no new calibration method."""
    import torch

    zt, yt = torch.from_numpy(z.astype(np.float64)), torch.from_numpy(y.astype(np.int64))
    wt = torch.from_numpy((np.ones(len(y)) if w is None else w).astype(np.float64))
    a = torch.ones(z.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(z.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([a, b], lr=0.5, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        ll = torch.nn.functional.cross_entropy(zt * a + b, yt, reduction="none")
        loss = (ll * wt).sum() / wt.sum() + l2 * (((a - 1) ** 2).sum() + (b ** 2).sum())
        loss.backward()
        return loss

    opt.step(closure)
    return a.detach().numpy(), b.detach().numpy()


def apply_vector_scaling(z: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return z * a + b


def fold_vector_scaling(last: "torch.nn.Linear", a: np.ndarray, b: np.ndarray) -> None:
    """In place: the last linear layer W z + c becomes a * (W z + c) + b."""
    import torch

    with torch.no_grad():
        at = torch.from_numpy(a.astype(np.float32))
        last.weight.mul_(at[:, None])
        last.bias.copy_(last.bias * at + torch.from_numpy(b.astype(np.float32)))


def isotonic_fit(score: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic regression of y on score by pool-adjacent-violators (Zadrozny & Elkan 2002):
    returns the block upper score bounds and their fitted values (a step function)."""
    order = np.argsort(score, kind="mergesort")
    s, t = score[order], y[order].astype(np.float64)
    vals, wts, ends = [], [], []
    for i in range(len(s)):
        vals.append(t[i]); wts.append(1.0); ends.append(s[i])
        while len(vals) > 1 and vals[-2] > vals[-1]:
            v = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / (wts[-2] + wts[-1])
            wts[-2] += wts[-1]; vals[-2] = v; ends[-2] = ends[-1]
            vals.pop(); wts.pop(); ends.pop()
    return np.array(ends), np.array(vals)


def isotonic_apply(score: np.ndarray, ends: np.ndarray, vals: np.ndarray) -> np.ndarray:
    return vals[np.minimum(np.searchsorted(ends, score, side="left"), len(vals) - 1)]
