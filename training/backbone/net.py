"""The default skin models' network: the converted MobileNetV2 backbone (frozen) and one linear
head per task, in one ONNX graph, so one backbone forward serves both tasks.

Input: the registry's standard input (NCHW, (x/255 - ImageNet mean) / ImageNet std); the first
op undoes the ImageNet normalisation because the backbone was trained on x/255 in [0, 1].
Outputs: `features` [N,1280] (for feature caching) or one logits tensor per head.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..spec import MEAN, STD
from .mobilenet import POOLED, load_mobilenet



class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = load_mobilenet([POOLED])
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, x):
        return self.net(x * self.std + self.mean)


class SkinNet(nn.Module):
    """Backbone + heads; forward returns one logits tensor per head, in `heads` order."""

    def __init__(self, backbone: Backbone, heads: dict[str, nn.Module]):
        super().__init__()
        self.backbone = backbone
        self.names = list(heads)
        self.heads = nn.ModuleDict(heads)

    def forward(self, x):
        f = self.backbone(x)
        return tuple(self.heads[n](f) for n in self.names)
