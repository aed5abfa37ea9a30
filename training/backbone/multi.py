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

Region pooling (`maps=True`, 3.1.1 on; training/export_regions.py): `forward` returns (the FINEST
map, pooled) so the export reads the region grid from it (at 192: block_13_expand_relu's 12x12 =
144 cells, 16 px each), and `region_pool(x, w)` pools every map per region for weights `w`
[N, R, G] on that finest grid. A coarser map (out_relu, 6x6 at 192) gets the weights sum-pooled
2x2: its cell (i, j) takes fine cells (2i..2i+1, 2j..2j+1). Alignment, checked on the converted
graph (nsfwjs's model.json): the only stride between the two maps is block_13's 3x3 depthwise,
stride 2, 'valid' after block_13_pad = ((0, 1), (0, 1)) (Keras' correct_pad for an even side), so
coarse cell i reads fine cells 2i, 2i+1, 2i+2 (2i+2 = 12 is the zero pad for i = 5); later layers are
stride 1. The 2x2 pairing (2i, 2i+1) is the coarse cell's own 32 px block [32i, 32i + 32), the
geometry the engine's region weights assume for every map (src/engine/models/region-weights.ts),
and it tiles the grid; the true window leans half a fine cell (8 px) down/right, as it does at 224
(14 -> 7 with the same padding) for 3.0.1. Sum pooling keeps rows summing to 1, so a uniform row
(1/144) becomes 1/36 on the 6x6 map and gives the global means, hence the whole-face logits.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..spec import MEAN, STD
from .mobilenet import FEATURE_MAP, load_mobilenet

MID = "block_13_expand_relu"
FEATURE_SETS: dict[str, list[str]] = {"pooled": [FEATURE_MAP], "b13+pooled": [MID, FEATURE_MAP]}


class FeatureBackbone(nn.Module):
    def __init__(self, features: str = "pooled", maps: bool = False):
        super().__init__()
        self.features = features
        self.maps = maps
        self.net = load_mobilenet(FEATURE_SETS[features])
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))

    def _maps(self, x) -> tuple:
        out = self.net(x * self.std + self.mean)
        return out if isinstance(out, tuple) else (out,)

    def forward(self, x):
        outs = self._maps(x)
        f = torch.cat([o.mean((2, 3)) if o.dim() == 4 else o for o in outs], 1)
        if not self.maps:
            return f
        return max(outs, key=lambda o: o.shape[2] * o.shape[3]), f

    def region_pool(self, x, w):
        """(pooled [N, F], per-region features [N, R, F]) for weights `w` [N, R, G] on the finest map's grid."""
        outs = self._maps(x)
        f = torch.cat([o.mean((2, 3)) for o in outs], 1)
        fine = max(o.shape[2] for o in outs)
        parts = []
        for o in outs:
            h, wd = o.shape[2], o.shape[3]
            k = fine // h
            assert h * k == fine and wd * k == fine, (o.shape, fine)
            wk = w
            if k > 1:  # sum-pool the fine weights k x k onto this map's cells (alignment: header)
                n, r = w.shape[0], w.shape[1]
                wk = w.reshape(n, r, h, k, wd, k).sum((3, 5)).reshape(n, r, h * wd)
            parts.append(torch.matmul(wk, o.flatten(2).transpose(1, 2)))  # [N, R, C_o], cell g = y * W + x
        return f, torch.cat(parts, 2)
