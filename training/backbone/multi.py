"""Feature sets of the frozen MobileNetV2 backbone: which layers are global-average pooled and
concatenated into the vector the heads read.

- `pooled` (3.0.0's values): the 1280 global average of `out_relu`. 3.0.0 read `flatten_1`, the
  network's own 7x7 average pool, which is the same average at 224 but covers nothing at 192
  (a 6x6 map: the valid 7x7 pool has no output), so the mean is taken here over the map itself.
- `b13+pooled`: the global average of `block_13_expand_relu` (576 channels, stride 16, the last
  layer before the final stride-2 stage, so it still sees 14x14 cells at 224) concatenated with
  the 1280 above: 1856 values. Mid-level layers keep more local texture than the last one, which
  an ImageNet/NSFW-trained net tunes to object categories (Yosinski et al. 2014, "How transferable
  are features in deep neural networks?": transfer from later layers degrades with task distance).

`FeatureBackbone(features)` is net.py's `Backbone` (same undoing of the input normalisation) with
those outputs; with `pooled` at 224 its output equals `Backbone`'s (to float rounding of the mean).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..spec import MEAN, STD
from .mobilenet import FEATURE_MAP, load_mobilenet

MID = "block_13_expand_relu"
FEATURE_SETS: dict[str, list[str]] = {"pooled": [FEATURE_MAP], "b13+pooled": [MID, FEATURE_MAP]}


class FeatureBackbone(nn.Module):
    def __init__(self, features: str = "pooled"):
        super().__init__()
        self.features = features
        self.net = load_mobilenet(FEATURE_SETS[features])
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def forward(self, x):
        out = self.net(x * self.std + self.mean)
        outs = out if isinstance(out, tuple) else (out,)
        return torch.cat([o.mean((2, 3)) if o.dim() == 4 else o for o in outs], 1)
