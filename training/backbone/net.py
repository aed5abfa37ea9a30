"""The default skin models' network: the converted MobileNetV2 backbone (frozen) and one head per
task, in one ONNX graph, so one backbone forward serves both tasks.

Input: the registry's standard input (NCHW, (x/255 - ImageNet mean) / ImageNet std); the first
op undoes the ImageNet normalisation because the backbone was trained on x/255 in [0, 1].
Outputs: `features` [N,1280] (for feature caching) or one logits tensor per head.

Region pooling (`regions=True`, models 3.0.1 on): a second input `region_weights` [N, R, G]
(G = H*W cells of the last feature map, row-major; 7x7 = 49 at 224 px, static in the graph so the
engine reads it from the model) pools the 7x7x1280 map per region, f_r = sum_g w[r,g] * F[:, g]
(class-activation-style pooling: Zhou et al. 2016, "Learning Deep Features for Discriminative
Localization"), and each head runs on every f_r: extra outputs `<task>_regions` [N, R, C].
The global pool is the mean of the same map, so a uniform row (w = 1/G) gives the pooled
features and the heads' logits exactly (test/region-acne.test.ts holds it to 1e-4). The
per-task outputs `<task>` [N, C] stay the global-pool logits (the same as the file without
regions to float rounding: each head runs once on [pooled; regions], so its weights are stored once).
With a multi-map backbone (training/backbone/multi.py FeatureBackbone(maps=True), 3.1.1: block 13 at
12x12 and out_relu at 6x6 for a 192 input) G is the finest map's cells (144) and the backbone's
`region_pool` sum-pools the weights 2x2 for the coarser map (alignment in multi.py's header).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..spec import MEAN, STD
from .mobilenet import FEATURE_MAP, POOLED, load_mobilenet

REGIONS_INPUT = "region_weights"


def region_output(task: str) -> str:
    return f"{task}_regions"


class Backbone(nn.Module):
    """Pooled features [N,1280]; with `feature_map`, (map [N,1280,H,W], pooled)."""

    def __init__(self, feature_map: bool = False):
        super().__init__()
        self.net = load_mobilenet([FEATURE_MAP, POOLED] if feature_map else [POOLED])
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, x):
        return self.net(x * self.std + self.mean)


class SkinNet(nn.Module):
    """Backbone + heads; forward returns one logits tensor per head, in `heads` order, then (with
    `regions`) one [N, R, C] tensor per head for the rows of `region_weights`."""

    def __init__(self, backbone: Backbone, heads: dict[str, nn.Module], regions: bool = False):
        super().__init__()
        self.backbone = backbone
        self.names = list(heads)
        self.heads = nn.ModuleDict(heads)
        self.regions = regions

    @property
    def output_names(self) -> list[str]:
        return self.names + ([region_output(n) for n in self.names] if self.regions else [])

    def forward(self, x, region_weights=None):
        if not self.regions:
            f = self.backbone(x)
            return tuple(self.heads[n](f) for n in self.names)
        if hasattr(self.backbone, "region_pool"):  # several maps (multi.py FeatureBackbone, maps=True; 3.1.1 on)
            f, fr = self.backbone.region_pool(x, region_weights)
            both = torch.cat([f.unsqueeze(1), fr], dim=1)
            z = [self.heads[n](both) for n in self.names]
            return tuple(t[:, 0] for t in z) + tuple(t[:, 1:] for t in z)
        fmap, f = self.backbone(x)
        cells = fmap.flatten(2).transpose(1, 2)  # [N, G, C], cell g = y * W + x
        fr = torch.matmul(region_weights, cells)  # [N, R, C]
        # each head runs once on [global; regions] (one copy of its weights in the graph)
        both = torch.cat([f.unsqueeze(1), fr], dim=1)  # [N, 1 + R, C]
        z = [self.heads[n](both) for n in self.names]
        return tuple(t[:, 0] for t in z) + tuple(t[:, 1:] for t in z)
