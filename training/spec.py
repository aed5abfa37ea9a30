"""The model spec, read from models/spec.json (written from src/engine/models/spec.ts by
`npm run model-spec`): the tasks, their classes in logit order, and the model input (size,
layout, resize, crop, per-channel mean/std on 0..1 RGB). Training and serving share this one
definition; nothing in training/ spells the classes or the normalisation itself."""
from __future__ import annotations

import json
from pathlib import Path

SPEC_PATH = Path(__file__).resolve().parent.parent / "models" / "spec.json"
SPEC = json.loads(SPEC_PATH.read_text())

INPUT = SPEC["input"]
INPUT_SIZE: int = INPUT["size"]
MEAN: tuple[float, float, float] = tuple(INPUT["mean"])
STD: tuple[float, float, float] = tuple(INPUT["std"])

ACNE_CLASSES: list[str] = list(SPEC["tasks"]["acne_binary"]["classes"])
CONDITION_CLASSES: list[str] = list(SPEC["tasks"]["skin_condition"]["classes"])


def manifest_input() -> dict:
    """A manifest entry's `input`: the spec's, recorded with the model it was trained for."""
    return json.loads(json.dumps(INPUT))
