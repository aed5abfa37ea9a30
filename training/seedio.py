"""Load state dicts of the seed's two architectures whatever their key names, and our checkpoints."""
from __future__ import annotations

from pathlib import Path

import torch

from .models import SeedNet, build
from .spec import ACNE_CLASSES, CONDITION_CLASSES


def _pairs(sd: dict) -> list[tuple[str, torch.Tensor, torch.Tensor | None]]:
    out = []
    for k, v in sd.items():
        if not torch.is_tensor(v) or not k.endswith("weight") or v.dim() not in (2, 4):
            continue
        bk = k[: -len("weight")] + "bias"
        out.append((k, v, sd.get(bk)))
    return out


def seed_from_state_dict(sd: dict) -> SeedNet:
    """Map a seed state dict (any key names, e.g. conv1/conv2/.../fc1/fc2 or features.N/classifier.N)
    onto SeedNet by shapes: conv weights chained by channel count starting from 3 input channels,
    then the linear layer whose input is C*S*S, then the output layer."""
    if "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    sd = {k.replace("module.", "", 1) if k.startswith("module.") else k: v for k, v in sd.items()}
    pairs = _pairs(sd)
    convs = [p for p in pairs if p[1].dim() == 4]
    fcs = [p for p in pairs if p[1].dim() == 2]
    chain, cin = [], 3
    while True:
        nxt = [p for p in convs if p[1].shape[1] == cin and p not in chain]
        if not nxt:
            break
        chain.append(nxt[0])
        cin = nxt[0][1].shape[0]
    if len(chain) != len(convs) or len(chain) not in (3, 4) or len(fcs) != 2:
        raise ValueError(f"not a seed architecture: {len(convs)} conv and {len(fcs)} linear weights "
                         f"(expected 3 or 4 conv + 2 linear)")
    channels = tuple(int(p[1].shape[0]) for p in chain)
    side = 224 // (2 ** len(chain))
    fc1 = next((p for p in fcs if p[1].shape[1] == channels[-1] * side * side), None)
    if fc1 is None:
        raise ValueError(f"no linear layer with {channels[-1]}*{side}*{side} inputs: wrong input size?")
    fc2 = next(p for p in fcs if p is not fc1)
    if fc2[1].shape[1] != fc1[1].shape[0]:
        raise ValueError("the two linear layers do not chain")
    model = SeedNet(channels, int(fc2[1].shape[0]))
    convs_m = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    lin_m = [m for m in model.classifier if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for mod, (k, w, b) in zip(convs_m + lin_m, chain + [fc1, fc2]):
            if tuple(mod.weight.shape) != tuple(w.shape):
                raise ValueError(f"{k}: shape {tuple(w.shape)} != {tuple(mod.weight.shape)}")
            mod.weight.copy_(w)
            if b is None:
                mod.bias.zero_()
            else:
                mod.bias.copy_(b)
    return model.eval()


def load_any(path: Path) -> tuple[torch.nn.Module, dict]:
    """Our checkpoint ({arch, classes, state_dict, ...}) or a bare seed state dict."""
    obj = torch.load(str(path), map_location="cpu")
    if isinstance(obj, dict) and "arch" in obj and "state_dict" in obj:
        m = build(obj["arch"], len(obj["classes"]))
        m.load_state_dict(obj["state_dict"])
        return m.eval(), {k: v for k, v in obj.items() if k != "state_dict"}
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    m = seed_from_state_dict(obj)
    n = m.classifier[-1].out_features
    classes = list(ACNE_CLASSES) if n == 2 else CONDITION_CLASSES[:n]
    return m, {"arch": "seed", "classes": classes}
