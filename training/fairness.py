"""Fairness across skin tones: per group, how often healthy skin is flagged, and sensitivity
where the group has positives. Groups: the engine's ITA category (cv_analysis.skin_tone, every
image) and UTKFace's race label (group_label, UTKFace only).
"""
from __future__ import annotations

import numpy as np

# lightest to darkest (Chardon et al. 1991 / Del Bino 2006 ITA bounds, as in the engine)
ITA_ORDER = ["very_light", "light", "intermediate", "tan", "brown", "dark"]
MIN_GROUP = 10  # a rate over fewer healthy images is shown but not used for the gap


def group_table(pred: np.ndarray, y_cls: list[str], groups: list[str], positive: str | None, order: list[str] | None = None) -> list[dict]:
    """pred: predicted class name per row; y_cls: true condition class per row (normal = healthy).
    positive: the class whose sensitivity is reported (acne), or None for "any condition"."""
    g = np.array(groups)
    y = np.array(y_cls)
    p = np.array(pred)
    keys = [k for k in (order or sorted(set(groups))) if k and (g == k).any()]
    rows = []
    for k in keys:
        sel = g == k
        healthy = sel & (y == "normal")
        pos = sel & ((y == positive) if positive else (y != "normal"))
        flagged = (p != "normal") & (p != "no_acne") if positive is None else (p == positive)
        if positive is None:
            hit = pos & (p == y)  # the right condition
        else:
            hit = pos & (p == positive)
        rows.append({
            "group": k, "n": int(sel.sum()), "healthy_n": int(healthy.sum()),
            "healthy_flagged": float(flagged[healthy].mean()) if healthy.any() else None,
            "positives": int(pos.sum()),
            "sensitivity": float(hit.sum() / pos.sum()) if pos.any() else None,
        })
    return rows


def light_dark_gap(rows: list[dict]) -> dict | None:
    """Healthy-flagged rate of the darkest minus the lightest ITA group with >= MIN_GROUP healthy images."""
    usable = [r for r in rows if r["healthy_n"] >= MIN_GROUP and r["group"] in ITA_ORDER]
    if len(usable) < 2:
        return None
    usable.sort(key=lambda r: ITA_ORDER.index(r["group"]))
    lo, hi = usable[0], usable[-1]
    return {"lightest": lo["group"], "darkest": hi["group"], "gap_points": round(100 * (hi["healthy_flagged"] - lo["healthy_flagged"]), 2)}


def markdown(rows: list[dict], what: str) -> str:
    out = [f"| group | n | healthy n | healthy flagged as {what} | positives | sensitivity |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        hf = "n/a" if r["healthy_flagged"] is None else f"{100 * r['healthy_flagged']:.1f} %"
        se = "n/a" if r["sensitivity"] is None else f"{100 * r['sensitivity']:.1f} %"
        out.append(f"| {r['group']} | {r['n']} | {r['healthy_n']} | {hf} | {r['positives']} | {se} |")
    return "\n".join(out)
