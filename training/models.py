"""Model architectures.

* ``SeedAcneNet`` / ``SeedConditionNet``: the seed project's architectures (supported family,
  so owners of seed weights can serve them): conv blocks (conv3x3 pad 1 + ReLU + maxpool 2,
  channels 32/64/128(/256)) then FC(C*S*S -> 512) + ReLU + dropout + FC(512 -> classes).
* ``CompactNet``: a small global-average-pooled CNN with depthwise-separable blocks
  (MobileNet-style, Howard et al. 2017), a few hundred thousand parameters.

All take float32 [N,3,224,224] ImageNet-normalised RGB and return logits [N,C].
"""
from __future__ import annotations

import torch
from torch import nn


def _conv_block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]


class SeedNet(nn.Module):
    def __init__(self, channels: tuple[int, ...], num_classes: int, size: int = 224, dropout: float = 0.5):
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for c in channels:
            layers += _conv_block(cin, c)
            cin = c
        self.features = nn.Sequential(*layers)
        side = size // (2 ** len(channels))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(cin * side * side, 512),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(512, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def seed_acne(num_classes: int = 2) -> SeedNet:
    """3 conv blocks + FC(128*28*28 -> 512) + FC(512 -> 2)."""
    return SeedNet((32, 64, 128), num_classes)


def seed_condition(num_classes: int = 5) -> SeedNet:
    """4 conv blocks + FC(256*14*14 -> 512) + FC(512 -> 5)."""
    return SeedNet((32, 64, 128, 256), num_classes)


class DWSeparable(nn.Module):
    """Depthwise 3x3 (stride s) + BN + ReLU, then pointwise 1x1 + BN + ReLU."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.bn1(self.dw(x)))
        return self.act(self.bn2(self.pw(x)))


class CompactNet(nn.Module):
    """Patchify stem conv4x4/4 (224->56), then depthwise-separable blocks down to 7x7,
    global average pool, FC. About 0.15 M parameters at width 1.

    The 4x4/4 stem makes training ~3x cheaper than a 3x3/2 stem on 2 CPU cores.
    """

    # (out_channels, stride) per block, after a 32-channel stem at 56x56
    CFG = ((48, 1), (64, 2), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1))

    def __init__(self, num_classes: int, width: float = 1.0, dropout: float = 0.2):
        super().__init__()
        c0 = int(32 * width)
        self.stem = nn.Sequential(
            nn.Conv2d(3, c0, 4, stride=4, bias=False), nn.BatchNorm2d(c0), nn.ReLU(inplace=True)
        )
        blocks = []
        cin = c0
        for c, s in self.CFG:
            c = int(c * width)
            blocks.append(DWSeparable(cin, c, s))
            cin = c
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(cin, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.blocks(self.stem(x))))


ARCHS = {
    "seed_acne": lambda n: seed_acne(n),
    "seed_condition": lambda n: seed_condition(n),
    "compact": lambda n: CompactNet(n),
}

ARCH_DESCRIPTIONS = {
    "seed_acne": "seed CNN: 3x(conv3x3+ReLU+maxpool) 32/64/128, FC(128*28*28->512), FC(512->C)",
    "seed_condition": "seed CNN: 4x(conv3x3+ReLU+maxpool) 32/64/128/256, FC(256*14*14->512), FC(512->C)",
    "compact": "CompactNet: conv4x4/4 stem + 7 depthwise-separable blocks (BN, ReLU) to 7x7x256, global average pool, FC(256->C)",
}


def build(arch: str, num_classes: int) -> nn.Module:
    return ARCHS[arch](num_classes)


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
