"""Plotly figures the pages (and exported reports) show. Pure functions of arrays and records."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def learning_curves(histories: dict[str, list[dict]]) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch; one train and one validation line per named run."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    for name, history in histories.items():
        epochs = [h["epoch"] for h in history]
        prefix = f"{name}: " if len(histories) > 1 else ""
        for col, key in ((1, "loss"), (2, "acc")):
            for part, dash in (("train", "solid"), ("val", "dot")):
                fig.add_trace(go.Scatter(x=epochs, y=[h.get(f"{part}_{key}") for h in history], mode="lines+markers",
                                         name=f"{prefix}{part}", line=dict(dash=dash), legendgroup=f"{name}{part}",
                                         showlegend=col == 1), row=1, col=col)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(range=[0, 1], row=1, col=2)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h"))
    return fig


def confusion_heatmap(cm: np.ndarray, labels: list[str], normalise: bool = False, title: str = "",
                      zmax: float | None = None, diverging: bool = False) -> go.Figure:
    """Heatmap of a confusion matrix (rows: true genre, columns: predicted), counts or row fractions."""
    cm = np.asarray(cm, dtype=float)
    z = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalise else cm
    text = [[f"{v:.0%}" if normalise else f"{v:g}" for v in row] for row in z]
    bound = zmax if zmax is not None else (float(np.abs(z).max()) or 1.0)
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=labels, text=text, texttemplate="%{text}",
                               colorscale="RdBu" if diverging else "Blues", zmin=-bound if diverging else 0,
                               zmax=bound, hovertemplate="true %{y}<br>predicted %{x}<br>%{text}<extra></extra>"))
    fig.update_layout(title=title, height=420, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis_title="predicted", yaxis_title="true", yaxis_autorange="reversed")
    return fig


def spectrogram(S_db: np.ndarray, sr: int = 22050, hop_length: int = 512, title: str = "",
                zmin: float | None = None, zmax: float | None = None, colorbar: str = "dB") -> go.Figure:
    """A log-mel image with time (s) and mel-band centre frequency (Hz) axes."""
    import librosa

    n_mels, frames = S_db.shape
    times = np.arange(frames) * hop_length / sr
    freqs = librosa.mel_frequencies(n_mels=n_mels + 2, fmax=sr / 2)[1:-1]
    fig = go.Figure(go.Heatmap(z=S_db, x=times, y=np.arange(n_mels), colorscale="Magma", zmin=zmin, zmax=zmax,
                               colorbar=dict(title=colorbar),
                               customdata=np.repeat(freqs[:, None], frames, axis=1),
                               hovertemplate="%{x:.2f} s, %{customdata:.0f} Hz: %{z:.1f}<extra></extra>"))
    ticks = np.linspace(0, n_mels - 1, 6).astype(int)
    fig.update_yaxes(tickvals=ticks, ticktext=[f"{freqs[t]:.0f}" for t in ticks], title_text="Hz (mel scale)")
    fig.update_xaxes(title_text="time (s)")
    fig.update_layout(title=title, height=280, margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    return fig


def probabilities_bar(labels: list[str], probs: np.ndarray) -> go.Figure:
    """Horizontal bars of class probabilities, most likely on top."""
    order = np.argsort(probs)
    fig = go.Figure(go.Bar(x=np.asarray(probs)[order], y=[labels[i] for i in order], orientation="h",
                           text=[f"{p:.0%}" for p in np.asarray(probs)[order]], textposition="auto"))
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10), xaxis=dict(range=[0, 1], title="probability"))
    return fig
