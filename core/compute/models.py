"""The classifiers: ``nn.Module`` definitions only (training lives in :mod:`core.compute.train`)."""

from __future__ import annotations

import torch
from torch import nn


class ConvFrontEnd(nn.Module):
    """3×3 convolution over (time, mel) → BatchNorm → ReLU → max-pool of ``pool`` mel bins.

    Input ``(batch, steps, n_mels)``; output ``(batch, steps, channels * (n_mels // pool))``: each
    step keeps its time position and sees its neighbours' spectra, a little shift-invariant in pitch.
    """

    def __init__(self, channels: int, pool: int = 8):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
                                  nn.MaxPool2d((1, pool)))

    def width(self, n_mels: int) -> int:
        """Features per step of the output for ``n_mels`` input bands."""
        return self.conv[0].out_channels * (n_mels // self.conv[3].kernel_size[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x.unsqueeze(1))  # (batch, channels, steps, n_mels // pool)
        return y.permute(0, 2, 1, 3).flatten(2)


class LSTMClassifier(nn.Module):
    """LSTM over time-major log-mel frames, then ReLU → BatchNorm → Dropout → Linear.

    With ``pooling="last"`` (the study's model) the last layer's final hidden state summarises the
    sequence; ``"mean"`` averages the last layer's outputs over time instead. ``conv_channels > 0``
    puts a :class:`ConvFrontEnd` before the LSTM.

    Input ``(batch, steps, n_mels)``; output logits ``(batch, n_classes)``.
    """

    def __init__(self, n_mels: int = 128, n_classes: int = 10, hidden_size: int = 256, num_layers: int = 2,
                 bidirectional: bool = False, dropout: float = 0.3, pooling: str = "last", conv_channels: int = 0):
        super().__init__()
        self.pooling = pooling
        self.front = ConvFrontEnd(conv_channels) if conv_channels else nn.Identity()
        width_in = self.front.width(n_mels) if conv_channels else n_mels
        self.lstm = nn.LSTM(width_in, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional,
                            dropout=dropout if num_layers > 1 else 0.0)
        width = hidden_size * (2 if bidirectional else 1)
        self.head = nn.Sequential(nn.ReLU(), nn.BatchNorm1d(width), nn.Dropout(dropout))
        self.out = nn.Linear(width, n_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Sequence summary before the head, ``(batch, hidden_size * directions)``."""
        outputs, (h, _) = self.lstm(self.front(x))
        if self.pooling == "mean":
            return outputs.mean(dim=1)
        directions = 2 if self.lstm.bidirectional else 1
        return h[-directions:].transpose(0, 1).reshape(x.shape[0], -1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations (after the head), used as an embedding for GAN quality measures."""
        return self.head(self.embed(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))


def build_classifier(cfg, n_mels: int, n_classes: int) -> LSTMClassifier:
    """The model a :class:`core.base.config.ClassifierConfig` describes."""
    return LSTMClassifier(n_mels, n_classes, cfg.hidden_size, cfg.num_layers, cfg.bidirectional, cfg.dropout,
                          cfg.pooling, cfg.conv_channels)
