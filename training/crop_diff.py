"""What changed in the training crops between two engine versions (#11: "say what changed").

    /usr/bin/python3 -m training.crop_diff OLD_DIR NEW_DIR [--json OUT.json]

Each DIR holds `skinsight crop --size 224 --closeup-fallback` output (crops.jsonl + PNGs). Per
source: images cropped as a face / as a close-up (the fallback when the engine finds no face:
the NO_FACE count) / refused (an error), in the old and the new crops; images whose mode moved;
among images cropped in both, how many have byte-identical pixels and the mean absolute pixel
difference of the rest. The old crops come from the engine at the commit that registered 3.0.0
(see training/README.md for the command).
"""
from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np


def read(dir_: Path) -> dict[str, dict]:
    out = {}
    for line in open(dir_ / "crops.jsonl"):
        r = json.loads(line)
        if r.get("mode") == "patch":
            continue
        rel = "/".join(Path(r["source"]).parts[-2:])
        out[rel] = {"mode": r.get("mode") or "error", "output": r.get("output"),
                    "error": (r.get("error") or {}).get("code")}
    return out


def pixels(p: str) -> np.ndarray:
    from PIL import Image

    with Image.open(p) as im:
        return np.asarray(im.convert("RGB"), dtype=np.int16)


def diff(old_dir: Path, new_dir: Path) -> dict:
    old, new = read(old_dir), read(new_dir)
    # an old run cut short compares the images it reached (crop order: sorted by path)
    keys = sorted(old) if len(old) < len(new) else sorted(set(old) | set(new))
    per: dict[str, dict] = defaultdict(lambda: {"old": Counter(), "new": Counter(), "moved": Counter(), "identical": 0,
                                                "differ": 0, "mad": []})
    for rel in keys:
        src = Path(rel).name.split("__")[0]
        o, n = old.get(rel, {"mode": "absent"}), new.get(rel, {"mode": "absent"})
        s = per[src]
        s["old"][o["mode"]] += 1
        s["new"][n["mode"]] += 1
        if o["mode"] != n["mode"]:
            s["moved"][f"{o['mode']}->{n['mode']}"] += 1
        if o.get("output") and n.get("output"):
            a, b = pixels(o["output"]), pixels(n["output"])
            if a.shape == b.shape and np.array_equal(a, b):
                s["identical"] += 1
            else:
                s["differ"] += 1
                s["mad"].append(float(np.abs(a - b).mean()) if a.shape == b.shape else float("nan"))
    res = {"_compared": {"images": len(keys), "of": len(new)}}
    for src, s in sorted(per.items()):
        res[src] = {"old": dict(s["old"]), "new": dict(s["new"]), "moved": dict(s["moved"]), "identical": s["identical"],
                    "differ": s["differ"], "median_mean_abs_diff": float(np.median(s["mad"])) if s["mad"] else None}
    return res


def markdown(res: dict) -> str:
    L = ["| source | old face / close-up (no face) / error | new face / close-up (no face) / error | mode moved | same pixels | "
         "pixels differ (median mean abs diff, 0-255) |", "|---|---|---|---|---:|---:|"]
    tot = Counter()
    for src, r in res.items():
        if src.startswith("_"):
            continue
        f = lambda c: f"{c.get('face', 0)} / {c.get('closeup', 0)} / {c.get('error', 0) + c.get('absent', 0)}"  # noqa: E731
        moved = ", ".join(f"{k} {v}" for k, v in sorted(r["moved"].items())) or "-"
        mad = "-" if r["median_mean_abs_diff"] is None else f"{r['median_mean_abs_diff']:.2f}"
        L.append(f"| {src} | {f(r['old'])} | {f(r['new'])} | {moved} | {r['identical']} | {r['differ']} ({mad}) |")
        for k in ("face", "closeup"):
            tot["old_" + k] += r["old"].get(k, 0)
            tot["new_" + k] += r["new"].get(k, 0)
        tot["identical"] += r["identical"]
        tot["differ"] += r["differ"]
        tot["moved"] += sum(r["moved"].values())
    L.append(f"| **all** | {tot['old_face']} / {tot['old_closeup']} | {tot['new_face']} / {tot['new_closeup']} | {tot['moved']} | "
             f"{tot['identical']} | {tot['differ']} |")
    c = res.get("_compared")
    if c and c["images"] < c["of"]:
        L += ["", f"Compared {c['images']:,} of the {c['of']:,} images (the old run was cut short; crops are made in path order)."]
    return "\n".join(L)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    res = diff(a.old, a.new)
    if a.json:
        a.json.write_text(json.dumps(res, indent=1) + "\n")
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
