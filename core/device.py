"""Where torch computes: the one place that picks the device."""

import torch


def device() -> torch.device:
    """CUDA where a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
