"""Evaluation metrics, written out in numpy (no sklearn here).

* macro-F1: unweighted mean of per-class F1 over the classes present in y_true (None if only one).
* ROC-AUC: Mann-Whitney U statistic with average ranks for ties (Hanley & McNeil 1982).
* ECE: expected calibration error with M=15 equal-width confidence bins,
  ECE = sum_b |B_b|/n * |acc(B_b) - conf(B_b)|, confidence = max softmax probability
  (Guo et al. 2017, "On Calibration of Modern Neural Networks", eq. 3).
"""
from __future__ import annotations

import numpy as np


def confusion(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of x, ties given the mean of the ranks they span."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x), dtype=np.float64)
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho: Pearson's correlation of the average ranks."""
    return float(np.corrcoef(average_ranks(a), average_ranks(b))[0, 1])


def roc_auc(y_true_bin: np.ndarray, score: np.ndarray) -> float | None:
    pos = y_true_bin == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = average_ranks(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def ece(probs: np.ndarray, y_true: np.ndarray, n_bins: int = 15) -> float:
    conf = probs.max(1)
    correct = (probs.argmax(1) == y_true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(total)


def predict(probs: np.ndarray, threshold: float | None) -> np.ndarray:
    """Argmax, or for binary tasks: positive (index 1) iff p1 >= threshold."""
    if threshold is not None and probs.shape[1] == 2:
        return (probs[:, 1] >= threshold).astype(np.int64)
    return probs.argmax(1)


def classification_report(probs: np.ndarray, y_true: np.ndarray, classes: list[str], threshold: float | None = None,
                          positive: str = "acne") -> dict:
    k = len(classes)
    y_pred = predict(probs, threshold)
    cm = confusion(y_true, y_pred, k)
    per_class = {}
    f1s = []
    for c in range(k):
        tp = cm[c, c]
        p_den, r_den = cm[:, c].sum(), cm[c, :].sum()
        prec = float(tp / p_den) if p_den else None
        rec = float(tp / r_den) if r_den else None
        f1 = (2 * prec * rec / (prec + rec) if prec and rec else 0.0) if r_den else None
        if r_den:
            f1s.append(f1)
        per_class[classes[c]] = {"precision": prec, "recall": rec, "f1": f1, "support": int(r_den)}
    out = {
        "n": int(len(y_true)),
        "accuracy": float((y_pred == y_true).mean()) if len(y_true) else None,
        # undefined (None) when the subset holds a single class: read accuracy there
        "macro_f1": float(np.mean(f1s)) if len(f1s) >= 2 else None,
        "per_class": per_class,
        "confusion": {"labels": classes, "matrix": cm.tolist()},
        "ece": ece(probs, y_true) if len(y_true) else None,
    }
    if positive in classes:
        pi = classes.index(positive)
        out[f"roc_auc_{positive}"] = roc_auc((y_true == pi).astype(np.int64), probs[:, pi])
    if threshold is not None:
        out["threshold"] = threshold
    return out


def choose_threshold(p_pos: np.ndarray, y_true_bin: np.ndarray) -> float:
    """Threshold on P(positive) that maximises binary macro-F1 on validation data;
    ties go to the threshold closest to 0.5."""
    best, best_t = -1.0, 0.5
    for t in np.round(np.arange(0.05, 0.951, 0.01), 2):
        pred = (p_pos >= t).astype(np.int64)
        f1s = []
        for c in (0, 1):
            tp = np.sum((pred == c) & (y_true_bin == c))
            fp = np.sum((pred == c) & (y_true_bin != c))
            fn = np.sum((pred != c) & (y_true_bin == c))
            f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        score = float(np.mean(f1s))
        if score > best + 1e-12 or (abs(score - best) <= 1e-12 and abs(t - 0.5) < abs(best_t - 0.5)):
            best, best_t = score, float(t)
    return best_t


def grouped_reports(probs, y_true, classes, keys: list[str], threshold=None) -> dict:
    """classification_report per value of `keys` (e.g. skin-tone group, domain, source)."""
    keys_arr = np.array(keys)
    out = {}
    for g in sorted(set(keys)):
        if not g:
            continue
        sel = keys_arr == g
        out[g] = classification_report(probs[sel], y_true[sel], classes, threshold)
    return out
