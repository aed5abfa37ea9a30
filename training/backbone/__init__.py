"""Pretrained backbone: nsfwjs's MobileNetV2 converted from tfjs to PyTorch (see keras_torch.py)."""
