"""Dataset: MANIFEST.tsv rows of the `conditions` task, engine crops, cross-source splits."""
from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .spec import ACNE_CLASSES, CONDITION_CLASSES  # noqa: F401  (re-exported: D.ACNE_CLASSES)

# Whole sources held out for the test set (never seen in training or validation).
# Chosen from the dataset README's table of sources that can be held out while every class
# keeps a training source: test has all five classes, train keeps all five.
TEST_SOURCES = ("tnmysule", "killflex", "marvellino", "utkface", "wafa")
VAL_FRACTION = 0.15


@dataclass
class Item:
    file: str  # relative to the dataset root, e.g. conditions/acne/tnmysule__x.jpg
    cls: str
    source: str
    subsource: str  # roboflow-acne split into its ACNE04 (clinical) and web parts
    domain: str
    sha256: str
    group: str  # UTKFace race label or ''
    split: str = ""
    mode: str = ""  # engine crop mode: face | closeup


def read_manifest(data_dir: Path) -> list[Item]:
    """Rows of the `conditions` task, deduplicated by sha256 (first row kept)."""
    items: list[Item] = []
    seen: set[str] = set()
    with open(data_dir / "MANIFEST.tsv", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["task"] != "conditions":
                continue
            if row["sha256"] in seen:
                continue
            seen.add(row["sha256"])
            sub = row["source"]
            if sub == "roboflow-acne":
                sub = "roboflow-acne/acne04" if row["domain"].startswith("clinical") else "roboflow-acne/web"
            items.append(
                Item(row["file"], row["class"], row["source"], sub, row["domain"], row["sha256"], row.get("group_label") or "")
            )
    return items


def assign_splits(items: list[Item], seed: int, test_sources=TEST_SOURCES, val_fraction=VAL_FRACTION) -> None:
    """test = whole held-out sources; val = a stratified random fraction (per class x sub-source)
    of the remaining sources; train = the rest. Deterministic given the seed (hash of sha256 + seed)."""
    for it in items:
        if it.source in test_sources:
            it.split = "test"
    strata: dict[tuple[str, str], list[Item]] = {}
    for it in items:
        if not it.split:
            strata.setdefault((it.cls, it.subsource), []).append(it)
    for key in sorted(strata):
        group = sorted(strata[key], key=lambda it: hashlib.sha256(f"{seed}:{it.sha256}".encode()).hexdigest())
        n_val = int(round(len(group) * val_fraction))
        for i, it in enumerate(group):
            it.split = "val" if i < n_val else "train"


def split_summary(items: list[Item]) -> dict:
    out: dict = {}
    for it in items:
        d = out.setdefault(it.split, {}).setdefault(it.cls, {})
        d[it.subsource] = d.get(it.subsource, 0) + 1
    return out


def load_crops(items: list[Item], crops_index: dict[str, str], cache_file: Path, size: int = 224) -> np.ndarray:
    """uint8 array [N,size,size,3] of the crops (PNG written by the prepare step), cached as .npy."""
    from PIL import Image

    key = hashlib.sha256(json.dumps([crops_index[it.file] for it in items]).encode()).hexdigest()[:16]
    cache = cache_file.with_name(f"{cache_file.stem}-{key}.npy")
    if cache.exists():
        return np.load(cache, mmap_mode="r")
    arr = np.empty((len(items), size, size, 3), dtype=np.uint8)
    for i, it in enumerate(items):
        with Image.open(crops_index[it.file]) as im:
            im = im.convert("RGB")
            if im.size != (size, size):
                raise ValueError(f"crop {crops_index[it.file]} is {im.size}, expected {size}x{size}")
            arr[i] = np.asarray(im)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, arr)
    return np.load(cache, mmap_mode="r")
