"""The engine's own skin-tone category (cv_analysis.skin_tone.category, from ITA) for the test
images, for the fairness tables: `skinsight analyze` (with --closeup for images the engine crops
as close-ups), in chunks of 250 files (a longer argv crashes node here), cached as
training/.cache/ita/<mode>-<n>.jsonl lines {source, ita, category, error}.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "training" / ".cache" / "ita"
CHUNK = 250


def ensure_engine_ita(crops_jsonl: Path, test_sources: tuple[str, ...]) -> Path:
    if (OUT / ".complete").exists():
        return OUT
    OUT.mkdir(parents=True, exist_ok=True)
    by_mode: dict[str, list[str]] = {"face": [], "closeup": []}
    for line in open(crops_jsonl):
        r = json.loads(line)
        if not r.get("error") and r.get("mode") in by_mode and Path(r["source"]).name.split("__")[0] in test_sources:
            by_mode[r["mode"]].append(r["source"])
    for mode, files in by_mode.items():
        for k in range(0, len(files), CHUNK):
            cmd = ["node", "--import", "tsx", "src/cli/main.ts", "analyze", "--workers", "1", "--quiet"]
            cmd += (["--closeup"] if mode == "closeup" else []) + files[k: k + CHUNK]
            r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
            with open(OUT / f"{mode}-{k // CHUNK:02d}.jsonl", "w") as f:
                for line in r.stdout.splitlines():
                    res = json.loads(line)
                    st = (res.get("cv_analysis") or {}).get("skin_tone") or {}
                    f.write(json.dumps({"source": res.get("source"), "ita": st.get("ita_deg"), "category": st.get("category"),
                                        "error": (res.get("error") or {}).get("code")}) + "\n")
    (OUT / ".complete").write_text("ok\n")
    return OUT
