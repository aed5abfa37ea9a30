"""Prepare step: write the 224x224 crops the models see, with the engine's own code path.

Preferred: the engine's command (no train/serve skew)
    node --import tsx src/cli/main.ts crop --out DIR --size 224 --closeup-fallback <data>/conditions
which writes DIR/<relative path>.png and DIR/crops.jsonl lines {source, output, mode, error?}.

Fallback (only while the engine command does not exist, or with --cropper pil): a centre
square of the whole image resized to 224 with PIL bilinear (the engine's close-up path,
approximately). The fallback is recorded in the run's metadata and model card.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def engine_crop_available() -> bool:
    try:
        r = subprocess.run(
            ["node", "--import", "tsx", "src/cli/main.ts", "crop", "--help"],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )
        return r.returncode == 0 and "--out" in (r.stdout + r.stderr)
    except Exception:
        return False


def _index_from_jsonl(out_dir: Path, data_dir: Path) -> dict[str, str]:
    """Map dataset-relative file (conditions/<cls>/<name>.jpg) -> crop PNG path."""
    index: dict[str, str] = {}
    modes: dict[str, str] = {}
    with open(out_dir / "crops.jsonl") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("error"):
                continue
            src = Path(rec["source"])
            parts = src.parts
            rel = "/".join(parts[parts.index("conditions"):]) if "conditions" in parts else str(src)
            outp = Path(rec["output"])
            if not outp.is_absolute():
                cand = out_dir / outp
                outp = cand if cand.exists() else (REPO / outp)
            index[rel] = str(outp)
            modes[rel] = rec.get("mode", "")
    (out_dir / "modes.json").write_text(json.dumps(modes))
    return index


def run_engine_crop(data_dir: Path, out_dir: Path, size: int = 224) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    done = out_dir / ".complete"
    if not done.exists():
        (out_dir / "crops.jsonl").unlink(missing_ok=True)
        cmd = ["node", "--import", "tsx", "src/cli/main.ts", "crop", "--out", str(out_dir), "--size", str(size),
               "--closeup-fallback", str(data_dir / "conditions")]
        print("prepare:", " ".join(cmd), file=sys.stderr)
        r = subprocess.run(cmd, cwd=REPO)
        n_lines = sum(1 for _ in open(out_dir / "crops.jsonl")) if (out_dir / "crops.jsonl").exists() else 0
        if r.returncode != 0 and n_lines == 0:
            raise RuntimeError(f"engine crop failed with exit code {r.returncode}")
        if r.returncode != 0:
            # the command exits 1 when some inputs failed (e.g. IMAGE_TOO_SMALL); those rows carry
            # `error` in crops.jsonl and are left out of training and evaluation
            print(f"prepare: engine crop exit code {r.returncode}; per-image errors are skipped", file=sys.stderr)
        done.write_text("ok\n")
    return _index_from_jsonl(out_dir, data_dir)


def pil_centre_crop(src: Path, size: int = 224):
    from PIL import Image

    with Image.open(src) as im:
        im = im.convert("RGB")
        w, h = im.size
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        return im.crop((left, top, left + s, top + s)).resize((size, size), Image.BILINEAR)


def run_pil_crop(data_dir: Path, out_dir: Path) -> dict[str, str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    jsonl = out_dir / "crops.jsonl"
    if not jsonl.exists():
        root = data_dir / "conditions"
        lines = []
        for src in sorted(root.rglob("*.jpg")):
            rel = src.relative_to(root)
            dst = out_dir / (str(rel) + ".png")
            dst.parent.mkdir(parents=True, exist_ok=True)
            pil_centre_crop(src).save(dst)
            lines.append(json.dumps({"source": str(src), "output": str(dst), "mode": "closeup"}))
        jsonl.write_text("\n".join(lines) + "\n")
    return _index_from_jsonl(out_dir, data_dir)


def crop_modes(cache_dir: Path, cropper: str, size: int = 224) -> dict[str, str]:
    p = (engine_crop_dir(cache_dir, size) if cropper == "engine" else cache_dir / f"crops-{cropper}") / "modes.json"
    return json.loads(p.read_text()) if p.exists() else {}


def engine_crop_dir(cache_dir: Path, size: int = 224) -> Path:
    """Where the engine crops at `size` are cached: crops-engine (224, 3.0.0's) or crops-engine-<size>."""
    return cache_dir / ("crops-engine" if size == 224 else f"crops-engine-{size}")


def prepare(data_dir: Path, cache_dir: Path, cropper: str = "auto", size: int = 224) -> tuple[str, dict[str, str]]:
    """Returns (cropper used, index of dataset-relative file -> crop PNG)."""
    if cropper == "auto":
        cropper = "engine" if engine_crop_available() else "pil"
    if cropper != "engine" and size != 224:
        raise ValueError("the PIL fallback cropper makes 224 crops only")
    if cropper == "engine":
        return cropper, run_engine_crop(data_dir, engine_crop_dir(cache_dir, size), size)
    return cropper, run_pil_crop(data_dir, cache_dir / "crops-pil")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets")
    ap.add_argument("--cache", type=Path, default=REPO / "training" / ".cache")
    ap.add_argument("--cropper", choices=["auto", "engine", "pil"], default="auto")
    a = ap.parse_args()
    used, idx = prepare(a.data.resolve(), a.cache, a.cropper)
    print(json.dumps({"cropper": used, "crops": len(idx)}))
