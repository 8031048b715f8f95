"""Chart layout: toolbars never cover a title, epoch axes count whole epochs."""

import numpy as np
import pytest

from core.usecases import charts

HISTORY = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e, "train_acc": 0.1 * e, "val_acc": 0.1 * e,
            "d_loss": 1.0, "g_loss": 1.0, "d_real": 0.5, "d_fake": 0.5, "fidelity": 0.3} for e in (1, 2, 3)]
LABELS = ["blues", "classical", "country", "disco", "hiphop"]


def figures():
    rng = np.random.default_rng(0)
    fidelity = {"per_class": [0.5] * 5, "predicted_counts": [10] * 5, "chance": 0.2}
    return {
        "learning curves": charts.learning_curves({"A": HISTORY}),
        "gan curves": charts.gan_curves(HISTORY, "conditional"),
        "sample grid": charts.sample_grid(rng.random((5, 8, 16)), LABELS, 0.1),
        "genre fidelity": charts.genre_fidelity(LABELS, fidelity, 0.7, title="genre fidelity"),
        "confusion": charts.confusion_heatmap(np.eye(5), LABELS, title="A"),
        "intervals": charts.accuracy_intervals([{"name": "A", "value": 0.5, "lo": 0.4, "hi": 0.6}], title="t"),
    }


@pytest.mark.parametrize("name", list(figures()))
def test_titles_sit_below_the_toolbar_band(name):
    fig = figures()[name]
    titled = bool(fig.layout.title.text) + bool(fig.layout.annotations and any(
        a.yanchor == "bottom" and a.yref == "paper" for a in fig.layout.annotations))
    assert fig.layout.margin.t >= charts.TOOLBAR_PX + charts.TITLE_PX * titled
    if fig.layout.title.text:
        assert fig.layout.title.xanchor == "left" and fig.layout.title.pad.t >= charts.TOOLBAR_PX


def test_epoch_axes_tick_whole_epochs():
    for fig in (charts.learning_curves({"A": HISTORY}), charts.gan_curves(HISTORY, "paper")):
        for axis in fig.select_xaxes():
            assert axis.dtick == 1 and axis.tick0 == 1 and axis.tickformat == "d"
    long = [dict(HISTORY[0], epoch=e) for e in range(1, 121)]
    assert {a.dtick for a in charts.learning_curves({"A": long}).select_xaxes()} == {12}


@pytest.mark.parametrize("sr, n_mels", [(22050, 128), (8000, 256), (44100, 16)])
def test_a_spectrogram_sends_each_value_once_and_names_every_band_by_its_frequency(sr, n_mels):
    import librosa
    import plotly.io as pio

    S = np.random.default_rng(0).normal(-40, 10, (n_mels, 431))  # float64, as a mean of clips is
    fig = charts.spectrogram(S, sr)
    heat = fig.data[0]
    assert heat.z.dtype == np.float32 and heat.customdata is None and np.array_equal(heat.z, S.astype(np.float32))
    centres = librosa.mel_frequencies(n_mels=n_mels + 2, fmax=sr / 2)[1:-1]
    assert list(heat.y) == [f"{f:.0f}" for f in centres] and len(set(heat.y)) == n_mels  # one row per band
    assert "%{y} Hz" in heat.hovertemplate and fig.layout.yaxis.type == "category"
    assert len(pio.to_json(fig, validate=False)) < 6 * S.size + 20_000  # float32 in base64: 5.3 bytes a value (was 17)


def test_legends_sit_in_a_band_below_the_axes_titles():
    two = charts.learning_curves({"A": HISTORY, "a long run name that would cover the epoch label": HISTORY})
    for fig in (two, charts.learning_curves({"A": HISTORY}), charts.gan_curves(HISTORY, "paper")):
        legend = fig.layout.legend
        assert (legend.orientation, legend.yref, legend.y, legend.yanchor) == ("h", "container", 0, "bottom")
        assert fig.layout.margin.b >= charts.AXIS_PX + charts.LEGEND_ROW_PX
    names = [t.name for t in two.data if t.showlegend is not False]
    assert names == ["A", "a long run name that would cover the epoch label", "train", "validation"]


def test_a_run_keeps_its_colour_in_both_learning_panels():
    fig = charts.learning_curves({"A": HISTORY, "B": HISTORY}, {"A": "#111111", "B": "#222222"})
    for name, colour in (("A", "#111111"), ("B", "#222222")):
        assert {t.line.color for t in fig.data if t.legendgroup == name} == {colour}
        assert {t.xaxis for t in fig.data if t.legendgroup == name} == {"x", "x2"}


def test_in_columns_averages_the_fewest_frames_that_fit_the_columns():
    S = np.arange(14, dtype=np.float32).reshape(2, 7)
    shown, step = charts.in_columns(S, max_columns=3)
    assert step == 3 and shown.dtype == np.float32
    np.testing.assert_allclose(shown, [[1.0, 4.0, 6.0], [8.0, 11.0, 13.0]])  # the last column holds one frame
    same, one = charts.in_columns(S, max_columns=7)
    assert one == 1 and np.array_equal(same, S)
    assert charts.in_columns(np.zeros((128, 1293)))[0].shape == (128, 431)  # a 30 s clip: columns of 3 frames
    assert charts.in_columns(np.zeros((128, 431)))[1] == 1  # a 10 s clip: every frame


def test_a_clip_spectrogram_says_when_it_is_drawn_in_columns_and_how_long_each_is():
    figure, note = charts.clip_spectrogram(np.zeros((128, 1293), dtype=np.float32), 22050, 512)
    assert np.asarray(figure.data[0].z).shape == (128, 431)
    assert note.startswith("Drawn in 431 columns of its 1293 frames, each the mean dB of 3 frames (70 ms)")
    assert figure.data[0].x[1] == 3 * 512 / 22050  # a column's time is its first frame's
    figure, note = charts.clip_spectrogram(np.zeros((128, 431), dtype=np.float32), 22050, 512)
    assert note == "" and np.asarray(figure.data[0].z).shape == (128, 431)
