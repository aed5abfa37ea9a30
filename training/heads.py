"""Train the default skin models on the pretrained backbone: frozen MobileNetV2 features
(training/backbone/) + one linear head per task, calibrated by temperature scaling, evaluated
once on the held-out test sources, with fairness tables per skin-tone group.

    /usr/bin/python3 -m training.heads --seed 42 [--register]

Data: the engine's 224 crops of the conditions task (prepare.py), plus healthy skin patches cut by
the engine (`skinsight crop --patches`: forehead, cheeks, nose, chin) from the UTKFace portraits,
which cover five skin-tone groups. UTKFace is split by image: half of each race group stays in
the held-out test set (faces and their patches), half goes to training/validation.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import data as D
from . import fairness as FA
from . import metrics as M
from .runlog import run_logger
from .calibrate import clip_probs, fit_temperature, fit_vector_scaling, fold_vector_scaling, softmax_t
from .backbone.features import cached_features
from .backbone.multi import FEATURE_SETS

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "training" / ".cache"
TASKS = {"acne_binary": D.ACNE_CLASSES, "skin_condition": D.CONDITION_CLASSES}
PATCH_REGIONS = ["forehead", "left_cheek", "right_cheek", "nose", "chin"]
# head search space, chosen on validation macro-F1
# (hidden 128 keeps backbone + both heads under 10 MB of ONNX)
HEAD_GRID = [{"hidden": 0, "wd": wd} for wd in (0.01, 0.3)] + [{"hidden": 128, "wd": 0.3}]


def head_grid(dim: int, grid: list[dict] | None = None) -> list[dict]:
    """HEAD_GRID for `dim` features: the hidden layer narrowed so that two heads still fit the
    ~1.3 MB that 128 x 1280 takes (1856 features, b13+pooled: 96 hidden), i.e. the backbone (8.9 MB)
    + both heads stay inside register.MAX_BYTES (10 MiB)."""
    return [dict(hp, hidden=min(hp["hidden"], (128 * 1280) // dim // 8 * 8)) if hp["hidden"] else hp for hp in (grid or HEAD_GRID)]


def labels(task: str, items: list[D.Item]) -> np.ndarray:
    if task == "acne_binary":
        return np.array([1 if it.cls == "acne" else 0 for it in items], dtype=np.int64)
    return np.array([D.CONDITION_CLASSES.index(it.cls) for it in items], dtype=np.int64)


def _rank(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def patch_prefix(size: int) -> str:
    """Cache folder prefix of the UTKFace patches at `size` (224: 3.0.0's `patches-utkface`)."""
    return "patches-utkface" if size == 224 else f"patches{size}-utkface"


def make_utk_patches(data_dir: Path, size: int = 224, chunk: int = 300) -> None:
    """`skinsight crop --patches --patch-size <size>` over the UTKFace portraits, at most `chunk` files
    per command (a longer argv crashes node here); one folder per chunk (patches-utkface-aa, -ab, ...)."""
    files = sorted(str(p) for p in (data_dir / "conditions" / "normal").glob("utkface__*.jpg"))
    for k in range(0, len(files), chunk):
        out = CACHE / f"{patch_prefix(size)}-a{chr(ord('a') + k // chunk)}"
        cmd = ["node", "--import", "tsx", "src/cli/main.ts", "crop", "--out", str(out), "--size", str(size), "--patches",
               "--patch-size", str(size), "--quiet", *files[k: k + chunk]]
        # exit code 1 = some portraits had no detectable face (NO_FACE lines in crops.jsonl): expected
        if subprocess.run(cmd, cwd=REPO).returncode not in (0, 1):
            raise RuntimeError(f"engine crop --patches failed for {out}")


def utk_patch_items(data_dir: Path, base: dict[str, D.Item], size: int = 224) -> tuple[list[D.Item], dict[str, str]]:
    """Patch items from training/.cache/patches-utkface*/crops.jsonl (made by the engine)."""
    dirs = sorted(CACHE.glob(patch_prefix(size) + "-*"))
    if not dirs:
        make_utk_patches(data_dir, size)
        dirs = sorted(CACHE.glob(patch_prefix(size) + "-*"))
    items, index = [], {}
    for d in dirs:
        for line in open(d / "crops.jsonl"):
            r = json.loads(line)
            if r.get("mode") != "patch":
                continue
            rel = "conditions/normal/" + Path(r["source"]).name
            parent = base.get(rel)
            if parent is None:
                continue
            key = f"{rel}#{r['region']}"
            items.append(D.Item(key, "normal", "utkface", "utkface/patch", "skin patch (engine, from a portrait)",
                                parent.sha256 + ":" + r["region"], parent.group, mode="patch"))
            index[key] = r["output"]
    return items, index


def assign(items: list[D.Item], patches: list[D.Item], seed: int) -> None:
    """Cross-source splits (data.py), except UTKFace: half of each race group, by hash, is moved
    from test to train/val (15 % val); patches follow their portrait."""
    D.assign_splits(items, seed, test_sources=tuple(s for s in D.TEST_SOURCES if s != "utkface"))
    utk = [it for it in items if it.source == "utkface"]
    for g in sorted({it.group for it in utk}):
        grp = sorted((it for it in utk if it.group == g), key=lambda it: _rank(seed, "utkface-half:" + it.sha256))
        for i, it in enumerate(grp):
            if i < len(grp) // 2:
                it.split = "test"
            elif it.split != "val":
                it.split = "train"
    by_sha = {it.sha256: it.split for it in items}
    for p in patches:
        p.split = by_sha[p.sha256.split(":")[0]]


def crop_ita(x: np.ndarray, mode: str) -> float:
    """ITA° = atan((L* - 50) / b*) (Chardon 1991) of the median skin colour, from sRGB (D65) of the
    crop's centre (face crops: cheeks and nose band). An approximation of the engine's measure,
    used only to balance training; the fairness tables use the engine's own ITA."""
    h, w, _ = x.shape
    reg = x[int(0.45 * h): int(0.75 * h), int(0.25 * w): int(0.75 * w)] if mode == "face" else x
    rgb = reg.reshape(-1, 3).astype(np.float64) / 255
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = lin @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    L = 116 * f[:, 1] - 16
    b = 200 * (f[:, 1] - f[:, 2])
    keep = (L > 15) & (L < 95)
    Lm, bm = (np.median(L[keep]), np.median(b[keep])) if keep.any() else (np.median(L), np.median(b))
    return float(np.degrees(np.arctan2(Lm - 50, max(bm, 1e-3))))


def tone3(ita: float) -> str:
    return "light" if ita > 41 else ("medium" if ita > 10 else "dark")


def cell_weights(y: np.ndarray, domains: list[str], tones: list[str], floor: int = 20) -> np.ndarray:
    """Every (class, domain, tone group) cell gets the same total weight (cells counted as at least
    `floor` images), so neither "close-up" nor "dark skin" is a shortcut to a class."""
    keys = [f"{a}|{b}|{c}" for a, b, c in zip(y, domains, tones)]
    cnt: dict[str, int] = {}
    for k in keys:
        cnt[k] = cnt.get(k, 0) + 1
    w = np.array([1.0 / max(cnt[k], floor) for k in keys])
    return w / w.mean()


def task_weights(y: np.ndarray, domains: list[str], tones: list[str], dark_healthy: float = 1.0) -> np.ndarray:
    """cell_weights, then the healthy rows (class 0: no_acne / normal) of the dark tone group times
    `dark_healthy` (1 = 3.0.0's weights): a heavier price on flagging healthy dark skin (#12 sec. 2)."""
    w = cell_weights(y, domains, tones)
    if dark_healthy != 1.0:
        w = w * np.where((y == 0) & (np.array(tones) == "dark"), dark_healthy, 1.0)
        w = w / w.mean()
    return w


class Head(nn.Module):
    """Standardisation (folded into the first layer at export) + linear, or a 1-hidden-layer MLP."""

    def __init__(self, mu: np.ndarray, sd: np.ndarray, classes: int, hidden: int = 0):
        super().__init__()
        self.register_buffer("mu", torch.from_numpy(mu.astype(np.float32)))
        self.register_buffer("sd", torch.from_numpy(sd.astype(np.float32)))
        d = mu.shape[0]
        self.net = nn.Linear(d, classes) if not hidden else nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(0.3), nn.Linear(hidden, classes))

    def forward(self, f):
        return self.net((f - self.mu) / self.sd)


def train_head(f: np.ndarray, y: np.ndarray, w: np.ndarray, classes: int, hidden: int, wd: float, seed: int,
               epochs: int = 30, bs: int = 256, lr: float = 2e-3) -> Head:
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    mu, sd = f.mean(0), f.std(0) + 1e-3
    head = Head(mu, sd, classes, hidden)
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=wd)
    ft, yt, wt = torch.from_numpy(f), torch.from_numpy(y), torch.from_numpy(w.astype(np.float32))
    steps = epochs * ((len(f) + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    for _ in range(epochs):
        head.train()
        perm = rng.permutation(len(f))
        for s in range(0, len(perm), bs):
            b = perm[s: s + bs]
            loss = (F.cross_entropy(head(ft[b]), yt[b], reduction="none") * wt[b]).sum() / wt[b].sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return head.eval()


@torch.no_grad()
def head_logits(head: Head, f: np.ndarray) -> np.ndarray:
    return head(torch.from_numpy(f)).numpy().astype(np.float64)


def engine_ita(items: list[D.Item]) -> dict[str, str]:
    """Engine ITA category per test file, from training/.cache/ita/*.jsonl (skinsight analyze)."""
    out = {}
    for f in sorted((CACHE / "ita").glob("*.jsonl")):
        for line in open(f):
            r = json.loads(line)
            if r.get("category"):
                out["conditions/" + "/".join(Path(r["source"]).parts[-2:])] = r["category"]
    return out


@dataclass
class Data:
    """Everything a head run needs: rows = crops then UTKFace patches, aligned with `feats`."""
    items: list[D.Item]
    patches: list[D.Item]
    rows: list[D.Item]
    X: np.ndarray
    XP: np.ndarray
    feats: np.ndarray
    split: np.ndarray
    domain: list[str]
    tones: list[str]
    ita_cat: list[str]


def engine_rows(data_dir: Path, seed: int, size: int = 224):
    """The engine's crops (with their face / close-up mode) and the UTKFace patches at `size`,
    assigned to their splits, and their pixel arrays (cached in training/.cache):
    (items, patches, crops array, patches array)."""
    from .prepare import crop_modes, prepare

    cropper, index = prepare(data_dir, CACHE, "engine", size)
    modes = crop_modes(CACHE, cropper, size)
    items = [it for it in D.read_manifest(data_dir) if it.file in index]
    for it in items:
        it.mode = modes.get(it.file, "")
    patches, pindex = utk_patch_items(data_dir, {it.file: it for it in items}, size)
    assign(items, patches, seed)
    sfx = "" if size == 224 else f"-{size}"
    X = D.load_crops(items, index, CACHE / f"arrays-engine{sfx}.npy", size)
    XP = D.load_crops(patches, pindex, CACHE / f"arrays-patches{sfx}.npy", size)
    return items, patches, X, XP


def load_data(data_dir: Path, seed: int, log, ita: bool = True, size: int = 224, features: str = "pooled") -> Data:
    """Engine crops and UTKFace patches at `size`, splits, frozen features (multi.FEATURE_SETS),
    training tone groups and the engine's ITA category of the test images (all cached in
    training/.cache; `ita=False`: later, with attach_ita)."""
    items, patches, X, XP = engine_rows(data_dir, seed, size)
    t0 = time.time()
    feats = np.concatenate([cached_features(X, "crops", features), cached_features(XP, "patches", features)])
    log(f"features {feats.shape} in {time.time() - t0:.0f}s")
    allx = [X, XP]
    rows = items + patches
    split = np.array([it.split for it in rows])
    domain = [("patch" if it.mode == "patch" else it.mode) for it in rows]
    crop_itas = [crop_ita(allx[0 if i < len(items) else 1][i if i < len(items) else i - len(items)], rows[i].mode) for i in range(len(rows))]
    tones = [tone3(v) for v in crop_itas]
    summary = D.split_summary(rows)
    log(f"rows={len(rows)} (crops {len(items)}, UTKFace patches {len(patches)}) splits={json.dumps(summary)}")
    d = Data(items, patches, rows, X, XP, feats, split, domain, tones, [])
    return attach_ita(d) if ita else d


def attach_ita(d: Data) -> Data:
    """The engine's ITA category per row (test images; made once by `skinsight analyze`, cached)."""
    from .engine_ita import ensure_engine_ita

    ensure_engine_ita(CACHE / "crops-engine" / "crops.jsonl", tuple(D.TEST_SOURCES))
    eng = engine_ita(d.rows)
    d.ita_cat = [eng.get(it.file.split("#")[0], "") for it in d.rows]
    return d


def test_results(task: str, d: Data, y: np.ndarray, te: np.ndarray, pt_raw: np.ndarray, pt: np.ndarray,
                 threshold: float | None) -> dict:
    """The held-out test reports of one task: overall, without the UTKFace patches, per source and
    crop domain, ECE before/after calibration, and the fairness tables."""
    classes, n_items, rows = TASKS[task], len(d.items), d.rows
    crops = te < n_items
    res = {
        "test": M.classification_report(pt, y[te], classes, threshold),
        "test_ece_before_calibration": M.ece(pt_raw, y[te]), "test_ece_after_calibration": M.ece(pt, y[te]),
        # the comparable number: the test crops without the (easy, healthy) UTKFace patches
        "test_crops_only": M.classification_report(pt[crops], y[te][crops], classes, threshold),
        "test_crops_only_ece_before_calibration": M.ece(pt_raw[crops], y[te][crops]),
        "test_by_source": M.grouped_reports(pt, y[te], classes, [rows[i].subsource for i in te], threshold),
        "test_by_crop_mode": M.grouped_reports(pt, y[te], classes, [d.domain[i] for i in te], threshold),
    }
    pred = [classes[k] for k in M.predict(pt, threshold)]
    ycls = [rows[i].cls for i in te]
    positive = "acne" if task == "acne_binary" else None
    res["fairness_ita"] = FA.group_table(pred, ycls, [d.ita_cat[i] for i in te], positive, FA.ITA_ORDER)
    res["fairness_ita_gap"] = FA.light_dark_gap(res["fairness_ita"])
    res["fairness_utkface"] = FA.group_table(pred, ycls, [rows[i].group for i in te], positive)
    res["fairness_utkface_patches"] = FA.group_table(
        [p for p, i in zip(pred, te) if rows[i].mode == "patch"], [c for c, i in zip(ycls, te) if rows[i].mode == "patch"],
        [rows[i].group for i in te if rows[i].mode == "patch"], positive)
    return res


def log_test(log, task: str, res: dict) -> None:
    t, tc = res["test"], res["test_crops_only"]
    what = "acne" if task == "acne_binary" else "a condition"
    log(f"   test without the UTKFace patches (n {tc['n']}): macro-F1 {tc['macro_f1']:.4f} AUC {tc.get('roc_auc_acne')} ECE {tc['ece']:.4f}")
    log(f"== {task}: head {res['head']} T={res['temperature']} threshold={res['threshold']} test macro-F1 {t['macro_f1']:.4f} "
        f"AUC {t.get('roc_auc_acne')} ECE {res['test_ece_before_calibration']:.4f} -> {res['test_ece_after_calibration']:.4f}")
    log("fairness by engine ITA category (test):\n" + FA.markdown(res["fairness_ita"], what))
    log(f"light-dark gap: {res['fairness_ita_gap']}")
    log("fairness by UTKFace race label (test faces + patches):\n" + FA.markdown(res["fairness_utkface"], what))


def heads_arg_parser(doc: str | None, version: str) -> argparse.ArgumentParser:
    """The options every heads command shares (this one and calibrate_oos)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--run-dir", type=Path, default=None)
    ap.add_argument("--register", action="store_true")
    ap.add_argument("--version", default=version)
    return ap


@dataclass
class Config:
    """What a heads run trains: crop side, feature set (backbone/multi.py), per task the weight on
    healthy dark-skin rows and the calibration method (CALIBRATIONS). The defaults are 3.0.0's."""
    size: int = 224
    features: str = "pooled"
    dark_healthy: dict[str, float] | None = None
    calibration: dict[str, str] | None = None

    def dark(self, task: str) -> float:
        return (self.dark_healthy or {}).get(task, 1.0)

    def calib(self, task: str) -> str:
        return (self.calibration or {}).get(task, "temperature")


# servable calibrations (the engine applies one temperature per entry; vector scaling is folded
# into the head's last layer): temperature with cell-balanced NLL (3.0.0), with plain NLL, vector scaling
CALIBRATIONS = ("temperature", "temperature_plain", "vector")


def fit_head(task: str, d: Data, tr: np.ndarray, va: np.ndarray, seed: int, dark_healthy: float, log,
             grid: list[dict] | None = None) -> tuple[Head, dict, list]:
    """`grid` (default HEAD_GRID) on the training rows; the head with the best validation macro-F1 (3.0.0's rule)."""
    classes = TASKS[task]
    y = labels(task, d.rows)
    w = task_weights(y[tr], [d.domain[i] for i in tr], [d.tones[i] for i in tr], dark_healthy)
    search = []
    for hp in head_grid(d.feats.shape[1], grid):
        head = train_head(d.feats[tr], y[tr], w, len(classes), hp["hidden"], hp["wd"], seed)
        rep = M.classification_report(softmax_t(head_logits(head, d.feats[va])), y[va], classes)
        search.append({**hp, "val_macro_f1": rep["macro_f1"], "val_roc_auc_acne": rep.get("roc_auc_acne"), "_head": head})
        log(f"  [{task}] head {hp} dark-healthy x{dark_healthy}: val macro-F1 {rep['macro_f1']:.4f} AUC {rep.get('roc_auc_acne')}")
    best = max(search, key=lambda s_: s_["val_macro_f1"])
    head = best.pop("_head")
    for s_ in search:
        s_.pop("_head", None)
    return head, best, search


def last_linear(head: Head) -> nn.Linear:
    return head.net if isinstance(head.net, nn.Linear) else head.net[-1]


def calibrate(task: str, head: Head, zv: np.ndarray, yv: np.ndarray, wv: np.ndarray, method: str) -> tuple[float, dict]:
    """Fit `method` on the validation logits; returns (the manifest temperature, details). Vector
    scaling is folded into `head` in place (temperature 1)."""
    if method == "temperature":
        return fit_temperature(zv, yv, wv), {"method": method, "fitted_on": "validation split (NLL, cell-balanced weights)"}
    if method == "temperature_plain":
        return fit_temperature(zv, yv), {"method": method, "fitted_on": "validation split (NLL)"}
    if method == "vector":
        a, b = fit_vector_scaling(zv, yv, wv)
        fold_vector_scaling(last_linear(head), a, b)
        return 1.0, {"method": method, "scale": a.tolist(), "bias": b.tolist(),
                     "fitted_on": "validation split (NLL, cell-balanced weights), folded into the head's last layer"}
    raise ValueError(f"unknown calibration {method}")


def val_fairness(task: str, d: Data, va: np.ndarray, pv: np.ndarray, threshold: float | None) -> list[dict]:
    """Healthy flagged / sensitivity per training tone group (crop_ita) on the validation rows."""
    classes = TASKS[task]
    pred = [classes[k] for k in M.predict(pv, threshold)]
    return FA.group_table(pred, [d.rows[i].cls for i in va], [d.tones[i] for i in va],
                          "acne" if task == "acne_binary" else None, ["light", "medium", "dark"])


def parse_per_task(text: str | None, cast) -> dict:
    """"acne_binary=2,skin_condition=1" -> {task: cast(value)}; a bare value applies to both tasks."""
    if not text:
        return {}
    if "=" not in text:
        return {t: cast(text) for t in TASKS}
    out = {}
    for part in text.split(","):
        k, v = part.split("=")
        if k not in TASKS:
            raise SystemExit(f"unknown task {k}")
        out[k] = cast(v)
    return out


def main(argv=None) -> int:
    ap = heads_arg_parser(__doc__, "3.0.0")
    ap.add_argument("--size", type=int, default=224, choices=(224, 192), help="crop side (the engine crops at this size)")
    ap.add_argument("--features", default="pooled", choices=tuple(FEATURE_SETS), help="backbone feature set (backbone/multi.py)")
    ap.add_argument("--dark-healthy", default=None, help="weight on healthy dark-skin rows, e.g. acne_binary=2,skin_condition=1")
    ap.add_argument("--not-default", action="store_true", help="register without making it the default")
    ap.add_argument("--selection", type=Path, default=None, help="select_heads.py's selection.json, summarised in the card")
    ap.add_argument("--calibration", default=None, help=f"per task, one of {CALIBRATIONS}, e.g. acne_binary=vector")
    a = ap.parse_args(argv)
    cfg = Config(a.size, a.features, parse_per_task(a.dark_healthy, float), parse_per_task(a.calibration, str))
    for m in (cfg.calibration or {}).values():
        if m not in CALIBRATIONS:
            raise SystemExit(f"unknown calibration {m}")
    torch.set_num_threads(1)  # the heads are tiny: more threads only spin-wait on a shared machine
    data_dir = a.data.resolve()
    run_dir = a.run_dir or (REPO / "training" / "runs" / f"heads-seed{a.seed}")
    log = run_logger(run_dir, append=False)
    log(f"config {json.dumps(cfg.__dict__)}")
    if a.selection:
        (run_dir / "selection-source.txt").write_text(str(a.selection.resolve()) + "\n")

    d = load_data(data_dir, a.seed, log, size=cfg.size, features=cfg.features)
    items, rows, X, split, domain, tones, feats = d.items, d.rows, d.X, d.split, d.domain, d.tones, d.feats
    tr, va, te = (np.where(split == s)[0] for s in ("train", "val", "test"))

    results, heads = {}, {}
    for task, classes in TASKS.items():
        y = labels(task, rows)
        head, best, search = fit_head(task, d, tr, va, a.seed, cfg.dark(task), log)
        fva = feats[va]
        zv = head_logits(head, fva)
        wv = cell_weights(y[va], [domain[i] for i in va], [tones[i] for i in va])
        raw = copy.deepcopy(head)  # before a folded calibration: the test ECE "before"
        temp, cal = calibrate(task, head, zv, y[va], wv, cfg.calib(task))
        zv = head_logits(head, fva)  # after a folded calibration
        pv = clip_probs(softmax_t(zv, temp))
        threshold = M.choose_threshold(pv[:, 1], y[va]) if task == "acne_binary" else None
        # the held-out test sources, evaluated once with the choices above
        zt = head_logits(head, feats[te])
        pt_raw, pt = softmax_t(head_logits(raw, feats[te])), clip_probs(softmax_t(zt, temp))
        res = {"head": best, "search": search, "temperature": temp, "calibration": cal, "threshold": threshold,
               "dark_healthy_weight": cfg.dark(task),
               "val": M.classification_report(pv, y[va], classes, threshold),
               "val_fairness_tone": val_fairness(task, d, va, pv, threshold)}
        res.update(test_results(task, d, y, te, pt_raw, pt, threshold))
        log_test(log, task, res)
        results[task], heads[task] = res, head
    (run_dir / "metrics.json").write_text(json.dumps(results, indent=1))
    torch.save({"heads": {k: v.state_dict() for k, v in heads.items()},
                "hparams": {k: results[k]["head"] for k in heads}, "config": cfg.__dict__}, run_dir / "heads.pt")
    (run_dir / "splits.json").write_text(json.dumps({"seed": a.seed, "files": {it.file: it.split for it in rows}}))
    if a.register:
        from .register_heads import register

        register(run_dir, a.version, heads, results, X, items, rows, split, log, cfg, not a.not_default, data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
