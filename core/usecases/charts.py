"""Plotly figures the pages (and exported reports) show. Pure functions of arrays and records."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..compute.features import mel_frequencies

TOOLBAR_PX = 40
"""Height (px) of the band at a figure's top that Streamlit's element toolbar and plotly's mode bar cover on hover."""
TITLE_PX = 26
"""Height (px) of a figure title or a row of subplot titles below that band."""


RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
               "#7f7f7f")
"""One colour per run of a comparison, in order (plotly's D3 palette, distinguishable on white)."""
LEGEND_ROW_PX = 26
"""Height (px) of one row of a horizontal legend."""
AXIS_PX = 50
"""Height (px) below a plot that the x axis's tick labels and title take."""
CLIP_COLUMNS = 640
"""Most columns a clip's log-mel is drawn in, about one per pixel of the page's widest chart: a 10 s clip (431 frames)
is drawn frame by frame, a 30 s one (1293) in columns of 3 frames, a 60 s preview (2584) of 5; the browser receives
and draws a third to a fifth of the cells."""


def run_colours(keys: list[str]) -> dict[str, str]:
    """Run key → colour by position (:data:`RUN_COLOURS`, repeating after ten): the i-th run of a comparison has
    the same colour in every chart that takes this mapping."""
    return {k: RUN_COLOURS[i % len(RUN_COLOURS)] for i, k in enumerate(keys)}


def frame(fig: go.Figure, height: int, title: str = "", titled: bool = False, legend_rows: int = 0,
          **layout) -> go.Figure:
    """Lay ``fig`` out so no toolbar covers a title: ``height`` px of plot below an empty toolbar band.

    ``title`` is drawn left-aligned just below the band; ``titled`` says the figure has subplot titles
    (drawn just above the plots, which therefore start below the band and a title row). ``legend_rows``
    (> 0) puts a horizontal legend in a band of that many rows below the plot, clear of the axes and
    their titles. ``layout`` is passed to ``update_layout``.
    """
    top = TOOLBAR_PX + (TITLE_PX if title else 0) + (TITLE_PX if titled else 0)
    below = AXIS_PX + LEGEND_ROW_PX * legend_rows if legend_rows else 0
    if legend_rows:
        layout["legend"] = dict(orientation="h", x=0, xanchor="left", y=0, yanchor="bottom", yref="container")
    fig.update_layout(height=height + top + below, margin=dict(l=10, r=10, t=top, b=10 + below),
                      title=dict(text=title, x=0, xref="paper", xanchor="left", y=1, yref="container",
                                 yanchor="top", pad=dict(t=TOOLBAR_PX + 4)), **layout)
    return fig


def epoch_axis(fig: go.Figure, epochs: int, **where) -> None:
    """Whole-number epoch ticks (1, 2, 3, … or every k-th epoch for long runs) on the x axes ``where`` selects."""
    step = max(1, int(np.ceil(epochs / 10)))
    fig.update_xaxes(title_text="epoch", tickmode="linear", tick0=1 if step == 1 else 0, dtick=step,
                     tickformat="d", **where)


def warm() -> None:
    """Build and serialise one tiny figure of each trace type the pages draw (bars, lines, markers, heatmaps): the first
    figure of a type in a process loads plotly's classes and validators for it (~0.05 s each), which a page's first
    draw then need not wait for."""
    tiny = np.zeros((2, 2), dtype=np.float32)
    for fig in (class_balance({"a": 1}), waveform(tiny[0], 1.0), spectrogram(tiny),
                clip_map(tiny, ["a"], np.zeros(2, dtype=int), ["x", "y"]), confusion_heatmap(tiny, ["a", "b"])):
        fig.to_json()


def learning_curves(histories: dict[str, list[dict]], colours: dict[str, str] | None = None) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch: per named run a solid train and a dotted validation line.

    ``colours`` (run name → colour, e.g. :func:`run_colours`) keeps each run's colour the same as in other charts;
    with several runs the legend names each run once, and two grey entries say which line is which.
    """
    colours = colours or run_colours(list(histories))
    many = len(histories) > 1
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"))
    for name, history in histories.items():
        epochs = [h["epoch"] for h in history]
        for col, key in ((1, "loss"), (2, "acc")):
            for part, dash in (("train", "solid"), ("val", "dot")):
                shown = col == 1 and (part == "train" or not many)
                fig.add_trace(go.Scatter(x=epochs, y=[h.get(f"{part}_{key}") for h in history], mode="lines+markers",
                                         name=name if many else {"train": "train", "val": "validation"}[part],
                                         line=dict(dash=dash, color=colours.get(name)), legendgroup=name,
                                         showlegend=shown,
                                         hovertemplate=f"{name} {part}, epoch %{{x}}: %{{y:.3g}}<extra></extra>"),
                              row=1, col=col)
    if many:
        for part, dash in (("train", "solid"), ("validation", "dot")):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=part, line=dict(dash=dash, color="grey")),
                          row=1, col=1)
    epoch_axis(fig, max((len(h) for h in histories.values()), default=1))
    fig.update_yaxes(range=[0, 1], row=1, col=2)
    entries = len(histories) + 2 if many else 2
    return frame(fig, 290, titled=True, legend_rows=-(-entries // 4))


def confusion_heatmap(cm: np.ndarray, labels: list[str], normalise: bool = False, title: str = "",
                      zmax: float | None = None, diverging: bool = False, rows: list[str] | None = None) -> go.Figure:
    """Heatmap of a confusion matrix (rows: true genre, columns: predicted), counts or row fractions.

    ``labels`` names the columns, and the rows too unless ``rows`` names them (a check on another
    dataset has rows only for the genres it shares with the model).
    """
    cm = np.asarray(cm, dtype=float)
    z = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalise else cm
    text = [[f"{v:.0%}" if normalise else f"{v:g}" for v in row] for row in z]
    bound = zmax if zmax is not None else (float(np.abs(z).max()) or 1.0)
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=rows or labels, text=text, texttemplate="%{text}",
                               colorscale="RdBu" if diverging else "Blues", zmin=-bound if diverging else 0,
                               zmax=bound, hovertemplate="true %{y}<br>predicted %{x}<br>%{text}<extra></extra>"))
    return frame(fig, 420, title,
                 xaxis_title="predicted", yaxis_title="true", yaxis_autorange="reversed")


def spectrogram(S_db: np.ndarray, sr: int = 22050, hop_length: int = 512, title: str = "",
                zmin: float | None = None, zmax: float | None = None, colorbar: str = "dB") -> go.Figure:
    """A log-mel image with time (s) and mel-band centre frequency (Hz) axes.

    The browser receives the image once, as float32 (a page shows up to 60 s: 128 × 2584 values), and each band's
    frequency as its row's name: a hover label per cell would triple what every visit sends.
    """
    n_mels, frames = S_db.shape
    times = np.arange(frames) * hop_length / sr
    bands = [f"{f:.0f}" for f in mel_frequencies(n_mels + 2, sr / 2)[1:-1]]
    fig = go.Figure(go.Heatmap(z=np.asarray(S_db, dtype=np.float32), x=times, y=bands, colorscale="Magma", zmin=zmin,
                               zmax=zmax, colorbar=dict(title=colorbar),
                               hovertemplate="%{x:.2f} s, %{y} Hz: %{z:.1f}<extra></extra>"))
    ticks = np.linspace(0, n_mels - 1, 6).astype(int)
    fig.update_yaxes(type="category", tickvals=[bands[t] for t in ticks], title_text="Hz (mel scale)")
    fig.update_xaxes(title_text="time (s)")
    return frame(fig, 280, title)


def in_columns(S_db: np.ndarray, max_columns: int = CLIP_COLUMNS) -> tuple[np.ndarray, int]:
    """A log-mel averaged in columns of ``step`` frames, the fewest that leave at most ``max_columns`` columns.

    Parameters
    ----------
    S_db : np.ndarray, shape (n_mels, frames), dB

    Returns
    -------
    shown : np.ndarray, float32, shape (n_mels, ceil(frames / step))
        Mean dB of each column's frames (the last column may hold fewer); ``S_db`` itself when ``step`` is 1.
    step : int
    """
    frames = S_db.shape[1]
    step = max(1, -(-frames // max_columns))
    if step == 1:
        return np.asarray(S_db, dtype=np.float32), 1
    columns = -(-frames // step)
    padded = np.pad(np.asarray(S_db, dtype=np.float32), ((0, 0), (0, columns * step - frames)), constant_values=np.nan)
    return np.nanmean(padded.reshape(S_db.shape[0], columns, step), axis=2), step


def clip_spectrogram(S_db: np.ndarray, sr: int = 22050, hop_length: int = 512,
                     title: str = "log-mel spectrogram") -> tuple[go.Figure, str]:
    """A clip's log-mel ``S_db`` (n_mels, frames; dB) as :func:`spectrogram` draws it, in at most
    :data:`CLIP_COLUMNS` columns (:func:`in_columns`), and the caption that says so ('' when every frame is drawn)."""
    shown, step = in_columns(S_db)
    note = "" if step == 1 else (f"Drawn in {shown.shape[1]} columns of its {S_db.shape[1]} frames, each the mean dB "
                                 f"of {step} frames ({1000 * step * hop_length / sr:.0f} ms): about one column per "
                                 "pixel.")
    return spectrogram(shown, sr, hop_length * step, title=title), note


def probabilities_bar(labels: list[str], probs: np.ndarray) -> go.Figure:
    """Horizontal bars of class probabilities, most likely on top, each labelled outside its bar (readable on any
    bar length)."""
    order = np.argsort(probs)
    fig = go.Figure(go.Bar(x=np.asarray(probs)[order], y=[labels[i] for i in order], orientation="h",
                           text=[f"{p:.0%}".replace("%", " %") for p in np.asarray(probs)[order]],
                           textposition="outside", cliponaxis=False))
    return frame(fig, 120 + 24 * len(labels), xaxis=dict(range=[0, 1.15], tickformat=".0%", title="probability"))


def accuracy_intervals(rows: list[dict], title: str = "", axis: str = "test accuracy (95 % interval)") -> go.Figure:
    """One dot per row at ``value`` with its ``lo``–``hi`` interval as an error bar and the numbers as text.

    ``rows`` are dicts with ``name``, ``value``, ``lo``, ``hi`` and optional ``note`` (hover text), ``colour``
    and ``symbol`` (a plotly marker symbol, e.g. 'diamond' for a figure on another collection).
    """
    fig = go.Figure()
    for r in rows:
        value, lo, hi = float(r["value"]), float(r["lo"]), float(r["hi"])
        text = f"{100 * value:.1f} % ({100 * lo:.0f}–{100 * hi:.0f} %)"
        fig.add_trace(go.Scatter(x=[value], y=[r["name"]], mode="markers+text", text=[text], textposition="top center",
                                 cliponaxis=False,
                                 marker=dict(size=11, color=r.get("colour"), symbol=r.get("symbol", "circle")),
                                 customdata=[r.get("note", "")],
                                 error_x=dict(type="data", symmetric=False, array=[hi - value], arrayminus=[value - lo],
                                              thickness=2, width=8, color=r.get("colour")),
                                 hovertemplate="%{y}: %{text}<br>%{customdata}<extra></extra>"))
    return frame(fig, 120 + 60 * len(rows), title,
                 xaxis=dict(range=[0, 1.02], tickformat=".0%", title=axis),
                 yaxis=dict(autorange="reversed", type="category"), showlegend=False)


def seed_spread(per_seed: list[dict], summary: list[dict], title: str = "") -> go.Figure:
    """Each seed's (or fold's) accuracy as a small dot per cell, and the summary accuracy with its 95 % interval.

    ``per_seed`` rows need ``cell``, ``seed``, ``accuracy``; ``summary`` rows ``cell``, ``mean``, ``lo``, ``hi``.
    """
    fig = go.Figure(go.Scatter(x=[r["accuracy"] for r in per_seed], y=[r["cell"] for r in per_seed], mode="markers",
                               name="one seed", marker=dict(size=7, opacity=0.5, color="grey"),
                               text=[f"seed {r['seed']}" for r in per_seed],
                               hovertemplate="%{y}, %{text}: %{x:.1%}<extra></extra>"))
    lo = np.array([r["lo"] for r in summary], dtype=float)
    hi = np.array([r["hi"] for r in summary], dtype=float)
    mean = np.array([r["mean"] for r in summary], dtype=float)
    fig.add_trace(go.Scatter(x=mean, y=[r["cell"] for r in summary], mode="markers", name="accuracy (95 % interval)",
                             marker=dict(size=12, symbol="diamond"),
                             error_x=dict(type="data", symmetric=False, array=np.nan_to_num(hi - mean),
                                          arrayminus=np.nan_to_num(mean - lo), thickness=2, width=8),
                             hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    return frame(fig, 140 + 40 * len(summary), title,
                 xaxis=dict(tickformat=".0%", title="test accuracy"),
                 yaxis=dict(autorange="reversed", type="category"), legend_rows=1)


def class_balance(counts: dict[str, int], title: str = "") -> go.Figure:
    """Bars of clips per genre, labelled with the count and its share of the dataset."""
    total = max(sum(counts.values()), 1)
    fig = go.Figure(go.Bar(x=list(counts), y=list(counts.values()),
                           text=[f"{n} ({n / total:.0%})" for n in counts.values()], textposition="auto",
                           hovertemplate="%{x}: %{y} clips<extra></extra>"))
    return frame(fig, 300, title,
                 xaxis_title="genre", yaxis_title="clips")


def waveform(points: np.ndarray, rate: float, title: str = "") -> go.Figure:
    """A (decimated) waveform: amplitude against time, ``rate`` points per second."""
    fig = go.Figure(go.Scatter(x=np.arange(len(points)) / rate, y=points, mode="lines", line=dict(width=1),
                               hovertemplate="%{x:.2f} s: %{y:.3f}<extra></extra>"))
    return frame(fig, 200, title,
                 xaxis_title="time (s)", yaxis=dict(title="amplitude", range=[-1, 1]))


def clip_map(coords: np.ndarray, labels: list[str], y: np.ndarray, names: list[str],
             axis_titles: tuple[str, str] = ("PC 1", "PC 2"), title: str = "") -> go.Figure:
    """2-D scatter of clips, one colour (trace) per genre; each point's ``customdata`` is its clip index."""
    fig = go.Figure()
    y = np.asarray(y)
    for k, label in enumerate(labels):
        idx = np.flatnonzero(y == k)
        fig.add_trace(go.Scatter(x=coords[idx, 0], y=coords[idx, 1], mode="markers", name=label,
                                 customdata=idx, text=[names[i] for i in idx], marker=dict(size=8, opacity=0.8),
                                 hovertemplate="%{text}<extra>" + label + "</extra>"))
    return frame(fig, 480, title,
                 xaxis_title=axis_titles[0], yaxis_title=axis_titles[1], clickmode="event+select",
                 dragmode="pan")


def mean_spectra(spectra: np.ndarray, labels: list[str], sr: int = 22050, title: str = "") -> go.Figure:
    """One line per genre: mean log-mel level (dB) per mel band, against band centre frequency (Hz, log axis)."""
    freqs = mel_frequencies(spectra.shape[1] + 2, sr / 2)[1:-1]
    fig = go.Figure([go.Scatter(x=freqs, y=row, mode="lines", name=label,
                                hovertemplate="%{x:.0f} Hz: %{y:.1f} dB<extra>" + label + "</extra>")
                     for label, row in zip(labels, spectra)])
    return frame(fig, 320, title,
                 xaxis=dict(title="Hz", type="log"), yaxis_title="mean level (dB)")


def gan_curves(history: list[dict], model: str) -> go.Figure:
    """GAN training per epoch, three panels stacked over one epoch axis: D and G losses, mean discriminator scores on
    real and fake, genre fidelity. Stacked, each panel and its title has the chart's whole width, on a phone too.

    ``model`` names what the scores are: probabilities for the ``paper`` GAN, raw hinge scores otherwise.
    """
    scores = "D(x): probability 'real'" if model == "paper" else "D(x): hinge score"
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=("losses", scores, "genre fidelity of tracked samples"))
    epochs = [h["epoch"] for h in history]
    for row, key, name in ((1, "d_loss", "D loss"), (1, "g_loss", "G loss"), (2, "d_real", "D(real)"),
                           (2, "d_fake", "D(fake)"), (3, "fidelity", "fidelity")):
        fig.add_trace(go.Scatter(x=epochs, y=[h.get(key) for h in history], mode="lines+markers", name=name),
                      row=row, col=1)
    if model == "paper":
        fig.update_yaxes(range=[0, 1], row=2, col=1)
    fig.update_yaxes(range=[0, 1], tickformat=".0%", row=3, col=1)
    epoch_axis(fig, len(history))
    fig.update_xaxes(title_text=None, row=1)
    fig.update_xaxes(title_text=None, row=2)
    return frame(fig, 480, titled=True, legend_rows=2)


def sample_grid(images: np.ndarray, titles: list[str], step_seconds: float, zmin: float = -1.0, zmax: float = 1.0,
                per_row: int = 5) -> go.Figure:
    """Small heatmaps of time-major samples ``(k, steps, n_mels)`` on one colour scale, ``per_row`` a row."""
    rows = -(-len(images) // per_row)
    fig = make_subplots(rows=rows, cols=per_row, subplot_titles=titles, shared_xaxes=True, horizontal_spacing=0.02,
                        vertical_spacing=0.1 if rows > 1 else 0.0)
    for k, x in enumerate(images):
        fig.add_trace(go.Heatmap(z=x.T, x=np.arange(x.shape[0]) * step_seconds, colorscale="Magma", zmin=zmin,
                                 zmax=zmax, showscale=k == 0, colorbar=dict(title="G output"),
                                 hovertemplate="%{x:.2f} s, band %{y}: %{z:.2f}<extra></extra>"),
                      row=k // per_row + 1, col=k % per_row + 1)
    fig.update_yaxes(showticklabels=False)
    fig.update_xaxes(title_text="s", row=rows)
    return frame(fig, 200 * rows, titled=True)


def genre_fidelity(labels: list[str], fidelity: dict, real_fidelity: float, title: str = "") -> go.Figure:
    """Per genre: share of samples the reference classifier puts in their intended genre, and share of all
    samples it puts in that genre; lines at chance and at the reference's fidelity on real held-out segments."""
    total = max(sum(fidelity["predicted_counts"]), 1)
    fig = go.Figure([go.Bar(x=labels, y=fidelity["per_class"], name="classified as intended",
                            hovertemplate="%{x}: %{y:.0%} classified as intended<extra></extra>"),
                     go.Bar(x=labels, y=[c / total for c in fidelity["predicted_counts"]],
                            name="share of all samples classified as this genre",
                            hovertemplate="%{x}: %{y:.0%} of all samples<extra></extra>")])
    fig.add_hline(y=fidelity["chance"], line_dash="dot", annotation_text="chance")
    fig.add_hline(y=real_fidelity, line_dash="dash", annotation_text="the judge on real held-out segments")
    return frame(fig, 340, title,
                 yaxis=dict(range=[0, 1.05], tickformat=".0%"), legend_rows=2)


def frechet_per_genre(labels: list[str], frechet: dict, title: str = "") -> go.Figure:
    """Fréchet distance of each genre's samples to its real training inputs; lines at the overall distance
    and at the real floor (real training vs real held-out inputs)."""
    fig = go.Figure(go.Bar(x=labels, y=frechet["per_class"], name="per genre",
                           hovertemplate="%{x}: %{y:.2f}<extra></extra>"))
    fig.add_hline(y=frechet["overall"], line_dash="dash", annotation_text="all genres")
    fig.add_hline(y=frechet["real_floor"], line_dash="dot", annotation_text="real held-out vs real training")
    return frame(fig, 320, title,
                 yaxis_title="Fréchet distance (lower: closer to real)")


def nearest_distances(nearest: dict, title: str = "") -> go.Figure:
    """Median (dot) and smallest (tick) nearest-neighbour distances on a log axis: sample → training input,
    sample → other sample, and the yardstick held-out real input → training input."""
    # two lines each, so the labels leave the dots room on a phone
    rows = (("to_train", "generated →<br>nearest training input"),
            ("to_generated", "generated →<br>nearest other sample"),
            ("held_out_to_train", "real held-out →<br>nearest training input"))
    names = [name for _, name in rows]
    fig = go.Figure([go.Scatter(x=[nearest[k]["median"] for k, _ in rows], y=names, mode="markers", name="median",
                                marker=dict(size=12), hovertemplate="%{y}: median %{x:.1f}<extra></extra>"),
                     go.Scatter(x=[nearest[k]["min"] for k, _ in rows], y=names, mode="markers", name="smallest",
                                marker=dict(symbol="line-ns-open", size=18, line=dict(width=3)),
                                hovertemplate="%{y}: smallest %{x:.1f}<extra></extra>")])
    return frame(fig, 260, title,
                 xaxis=dict(title="Euclidean distance (log scale)", type="log"),
                 yaxis=dict(autorange="reversed"), legend_rows=1)


def segment_timeline(labels: list[str], segment_probs: np.ndarray, starts: np.ndarray, segment_seconds: float,
                     clip_probs: np.ndarray, title: str = "") -> go.Figure:
    """Per-segment probabilities as a genres × time heatmap, with the clip-level vote as a last column.

    Genres are ordered by clip probability, the most likely on top; each segment is drawn at its centre.
    """
    order = np.argsort(-np.asarray(clip_probs), kind="stable")
    names = [labels[i] for i in order]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.9, 0.1], horizontal_spacing=0.02)
    fig.add_trace(go.Heatmap(z=np.asarray(segment_probs)[:, order].T, x=np.asarray(starts) + segment_seconds / 2,
                             y=names, coloraxis="coloraxis",
                             hovertemplate="%{y} around %{x:.1f} s: %{z:.0%}<extra></extra>"), row=1, col=1)
    clip = np.asarray(clip_probs)[order][:, None]
    fig.add_trace(go.Heatmap(z=clip, x=["clip vote"], y=names, coloraxis="coloraxis", texttemplate="%{text}",
                             text=[[f"{p:.0%}"] for p in clip[:, 0]],
                             hovertemplate="%{y}, whole clip: %{z:.0%}<extra></extra>"), row=1, col=2)
    fig.update_xaxes(title_text=f"segment centre (s), {segment_seconds:.3g} s each", row=1, col=1)
    fig.update_yaxes(autorange="reversed", type="category")
    return frame(fig, 120 + 28 * len(names), title,
                 coloraxis=dict(colorscale="Blues", cmin=0, cmax=1,
                                colorbar=dict(title="probability", tickformat=".0%")))


def saliency_overlay(S_db: np.ndarray, saliency: np.ndarray, sr: int = 22050, hop_length: int = 512,
                     title: str = "") -> go.Figure:
    """The log-mel in light grey with a saliency map (values in [0, 1], same grid) laid over it in red.

    The red's opacity rises steeply up to 0.3, so the weaker cells of a peaky map stay visible.
    """
    fig = spectrogram(S_db, sr, hop_length, title=title)
    fig.update_traces(colorscale=[[0, "rgb(250,250,250)"], [1, "rgb(110,110,110)"]], showscale=False)
    base = fig.data[0]
    fig.add_trace(go.Heatmap(z=saliency, x=base.x, y=base.y, zmin=0, zmax=1, customdata=base.customdata,
                             colorscale=[[0, "rgba(220,38,38,0)"], [0.3, "rgba(220,38,38,0.6)"],
                                         [1, "rgba(220,38,38,0.95)"]],
                             colorbar=dict(title="saliency"),
                             hovertemplate="%{x:.2f} s, %{customdata:.0f} Hz: saliency %{z:.2f}<extra></extra>"))
    return fig
