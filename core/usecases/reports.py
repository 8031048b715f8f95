"""Reports of runs, comparisons and experiments: CSV, Markdown (with inline SVG figures), offline HTML and a run's zip.

Tables are built with :mod:`pandas` (``to_csv``, ``to_markdown`` via :mod:`tabulate`, ``Styler.to_html``);
the figures for Markdown are small static SVGs, those for HTML the interactive plotly figures of
:func:`core.usecases.compare.figures`. Every function returns a string (or the zip's bytes) a page or the CLI can offer
as a download; every table of GenreLab is rendered here (:func:`markdown_table`, :func:`html_table`, :func:`csv_table`).
The numbers come from :mod:`core.usecases.compare` (runs, pairing, McNemar verdicts).
"""

from __future__ import annotations

import base64
import html
import io
import zipfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from ..compute.scores import row_normalise
from ..base.experiment_plan import STUDY
from ..base.percent import with_interval
from ..storage import runs
from . import compare, experiment_table
from .compare import Entry

if TYPE_CHECKING:
    import pandas as pd

CSV_COLUMNS = ("section", "run", "run_id", "other_run", "dataset", "fingerprint", "split", "seed", "genre",
               "metric", "value", "lo", "hi", "correct", "n", "note")


def frame(rows: list[dict], columns: Sequence[str]) -> pd.DataFrame:
    """``rows`` as a table with exactly ``columns`` (missing keys are NA), integers kept as integers."""
    import pandas as pd  # ~0.2 s: imported by the first table made, not by the Compare page's first visit

    return pd.DataFrame.from_records(rows, columns=list(columns)).convert_dtypes()


def markdown_table(rows: list[dict], columns: dict[str, str], percent: tuple[str, ...] = ()) -> str:
    """A Markdown table of ``rows`` with ``columns`` (key → header); keys in ``percent`` shown as percentages.

    Floats show 3 significant digits, missing values '–'.
    """
    df = frame(rows, columns)
    text = df.select_dtypes("string").columns
    df[text] = df[text].apply(lambda col: col.str.replace("|", "\\|", regex=False))
    cells = df.astype(object).where(df.notna(), None).rename(columns=columns)
    floatfmt = [".1%" if k in percent else ".3g" for k in columns]
    return cells.to_markdown(index=False, missingval="–", floatfmt=floatfmt)


def html_table(rows: list[dict], columns: dict[str, str], percent: tuple[str, ...] = ()) -> str:
    """An HTML table of ``rows`` with ``columns`` (key → header); keys in ``percent`` shown as percentages."""
    df = frame(rows, columns)
    floats = [k for k in df.select_dtypes("number").columns if k not in percent and df[k].dtype.kind == "f"]
    style = (df.style.format(na_rep="–", escape="html")
             .format("{:.3g}", subset=floats, na_rep="–")
             .format("{:.1%}", subset=[k for k in columns if k in percent], na_rep="–")
             .format_index(lambda k: columns[k], axis="columns", escape="html")
             .hide(axis="index"))
    return style.to_html()


def csv_table(rows: list[dict], columns: Sequence[str]) -> str:
    """CSV text of ``rows`` with exactly ``columns`` (missing values empty, keys not in ``columns`` dropped)."""
    return frame(rows, columns).to_csv(index=False)


def csv_rows(entries: list[Entry]) -> list[dict]:
    """The whole comparison as one long table (:data:`CSV_COLUMNS`).

    Sections: ``accuracy`` (one row per run), ``per_class`` (per run, genre and metric), ``paired`` (per pair:
    ``mcnemar_p``, the test's own p-value, and where several pairs were tested, ``mcnemar_p_holm`` too, adjusted over
    all of them as :func:`core.usecases.compare.compare_all` does; ``not_paired`` for runs tested on other clips).
    """
    info = {e.name: {"run_id": e.id, "dataset": e.record.get("dataset", {}).get("name", ""),
                     "fingerprint": e.record.get("dataset", {}).get("fingerprint", ""),
                     "split": e.record.get("split_name", ""), "seed": compare.seed_of(e)} for e in entries}
    out = [{"section": "accuracy", "run": r["run"], **info[r["run"]], "metric": "accuracy", "value": r["accuracy"],
            "lo": r["lo"], "hi": r["hi"], "correct": r["correct"], "n": r["n"]} for r in compare.accuracy_rows(entries)]
    out += [{"section": "per_class", "run": r["run"], **info[r["run"]], "genre": r["genre"], "metric": metric,
             "value": r[metric], "n": r["support"]}
            for r in compare.per_class_rows(entries) for metric in ("precision", "recall", "f1")]
    for c in compare.compare_all(entries):
        m = c["mcnemar"] or {}
        pair = {"section": "paired", "run": c["a"], **info[c["a"]], "other_run": c["b"], "correct": m.get("b"),
                "n": m.get("n"), "note": c["sentence"] or c["reason"]}
        if not c["paired"]:
            out.append({**pair, "metric": "not_paired"})
        elif m["m"] > 1:  # the test's own p-value, then the one adjusted over every pair (which the sentence uses)
            out += [{**pair, "metric": "mcnemar_p", "value": m["p_raw"], "note": c["adjustment"].strip()},
                    {**pair, "metric": "mcnemar_p_holm", "value": m["p_value"]}]
        else:
            out.append({**pair, "metric": "mcnemar_p", "value": m["p_value"]})
    return out


def comparison_csv(entries: list[Entry]) -> str:
    """:func:`csv_rows` as CSV text (for paired rows, ``correct`` holds the clips only the first run got right)."""
    return csv_table(csv_rows(entries), CSV_COLUMNS)


# --------------------------------------------------------------------------- SVG (for Markdown)

def _svg(width: int, height: int, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="sans-serif" font-size="12">{"".join(body)}</svg>')


def svg_intervals(rows: list[dict], title: str = "") -> str:
    """A static SVG of dots with interval bars on a 0–100 % axis; rows need ``name``, ``value``, ``lo``, ``hi``."""
    left, width, step = 260, 420, 34
    x = lambda v: left + width * min(max(v, 0.0), 1.0)  # noqa: E731
    body = [f'<text x="4" y="16" font-weight="bold">{html.escape(title)}</text>']
    for tick in np.linspace(0, 1, 6):
        body.append(f'<line x1="{x(tick):.1f}" y1="24" x2="{x(tick):.1f}" y2="{30 + step * len(rows)}" stroke="#ddd"/>'
                    f'<text x="{x(tick):.1f}" y="{44 + step * len(rows)}" text-anchor="middle">{tick:.0%}</text>')
    for i, r in enumerate(rows):
        y = 44 + step * i
        lo, hi = (r["lo"], r["hi"]) if np.isfinite([r["lo"], r["hi"]]).all() else (r["value"], r["value"])
        body.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{html.escape(str(r["name"]))[:40]}</text>'
                    f'<line x1="{x(lo):.1f}" y1="{y}" x2="{x(hi):.1f}" y2="{y}" stroke="#1f77b4" stroke-width="2"/>'
                    f'<circle cx="{x(r["value"]):.1f}" cy="{y}" r="5" fill="#1f77b4"/>'
                    f'<text x="{x(r["value"]):.1f}" y="{y - 8}" text-anchor="middle" font-size="10">'
                    f'{r["value"]:.1%} ({lo:.1%}–{hi:.1%})</text>')
    return _svg(left + width + 30, 54 + step * len(rows), body)


def svg_heatmap(z: np.ndarray, labels: list[str], text: list[list[str]], title: str = "",
                zmax: float = 1.0, diverging: bool = False) -> str:
    """A static SVG heatmap (rows: true genre, columns: predicted) with a cell text each."""
    z = np.asarray(z, dtype=float)
    cell, left, top = 34, 90, 30
    n = len(labels)

    def colour(v: float) -> str:
        t = min(abs(v) / (zmax or 1.0), 1.0)
        fade = lambda c: int(255 - (255 - c) * t)  # noqa: E731
        if diverging and v < 0:
            return f"rgb({fade(178)},{fade(24)},{fade(43)})"
        return f"rgb({fade(33)},{fade(102)},{fade(172)})"

    body = [f'<text x="4" y="16" font-weight="bold">{html.escape(title)}</text>']
    for i in range(n):
        name, cx, by = html.escape(labels[i]), left + cell * i + 17, top + cell * n + 14
        body.append(f'<text x="{left - 4}" y="{top + cell * i + 21}" text-anchor="end">{name}</text>'
                    f'<text x="{cx}" y="{by}" text-anchor="end" transform="rotate(-45 {cx} {by})">{name}</text>')
        for j in range(n):
            ink = "white" if abs(z[i, j]) / (zmax or 1.0) > 0.6 else "black"
            body.append(f'<rect x="{left + cell * j}" y="{top + cell * i}" width="{cell}" height="{cell}" '
                        f'fill="{colour(z[i, j])}" stroke="white"/><text x="{left + cell * j + 17}" '
                        f'y="{top + cell * i + 21}" text-anchor="middle" font-size="10" fill="{ink}">'
                        f'{html.escape(text[i][j])}</text>')
    return _svg(left + cell * n + 20, top + cell * n + 80, body)


def svg_image(svg: str, alt: str) -> str:
    """A Markdown image with the SVG inlined as a data URI (renders without any file or network access)."""
    return f"![{alt}](data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()})"


def _confusion_svg(entry: Entry, normalise: bool, zmax: float) -> str:
    cm = np.array(entry.result["confusion"], dtype=float)
    z = row_normalise(cm) if normalise else cm
    text = [[f"{v:.0%}" if normalise else f"{v:g}" for v in row] for row in z]
    kind = "row-normalised" if normalise else "counts"
    return svg_heatmap(z, entry.result["labels"], text, f"{entry.short} ({kind})", 1.0 if normalise else zmax)


# --------------------------------------------------------------------------- comparison reports

LEGEND_COLUMNS = {"key": "short name", "run": "run", "measured_on": "measured on",
                  "fingerprint": "dataset fingerprint", "other_collections": "on other collections"}
ACCURACY_COLUMNS = {"key": "run", "run": "name", "accuracy": "accuracy", "lo": "95 % low", "hi": "95 % high",
                    "correct": "correct", "n": "test clips", "dataset": "dataset", "split": "split", "seed": "seed"}


def per_class_columns(entries: list[Entry]) -> dict[str, str]:
    """Columns of :func:`.compare.per_class_wide`: the genre, then a group per run (``A precision``, …)."""
    return {"genre": "genre", **{f"{e.short} {label}": f"{e.short} {label}" for e in entries
                                 for label in compare.SCORES.values()}}

PERCENT = ("accuracy", "mean", "std", "lo", "hi", "min", "max", "tstr", "tstr_lo", "tstr_hi", "real", "c2st", "c2st_lo",
           "c2st_hi", "c2st_embedding")
"""Keys shown as percentages in every table (accuracies, their intervals and spreads, TSTR and C2ST)."""


def pair_lines(entries: list[Entry]) -> list[str]:
    """One sentence per pair of runs: the McNemar verdict when paired, otherwise why they are not."""
    return [c["sentence"] or c["reason"] for c in compare.compare_all(entries)]


def markdown_report(entries: list[Entry], title: str = "GenreLab comparison") -> str:
    """The comparison as Markdown: tables, pair verdicts and the figures as inline SVG images."""
    zmax = compare.count_scale(entries)
    acc = compare.accuracy_rows(entries)
    parts = [f"# {title}", "", "## Runs", "", markdown_table(compare.legend_rows(entries), LEGEND_COLUMNS), "",
             "## Test accuracy", "", markdown_table(acc, ACCURACY_COLUMNS, PERCENT), "",
             svg_image(svg_intervals([{**r, "name": r["key"], "value": r["accuracy"]} for r in acc],
                                     "Test accuracy with 95 % intervals"), "Test accuracy with 95 % intervals"), "",
             "## Are the differences real?", ""]
    parts += [f"- {line}" for line in pair_lines(entries)] or ["- Only one run selected."]
    parts += ["", "## Confusion matrices", ""]
    for e in entries:
        parts += [svg_image(_confusion_svg(e, False, zmax), f"{e.short} counts"),
                  svg_image(_confusion_svg(e, True, zmax), f"{e.short} row-normalised"), ""]
    for a, b in compare.differences(entries):
        d = compare.rate_difference(a, b)
        text = [[f"{v:+.0f}" if v else "0" for v in row] for row in d]
        parts += [svg_image(svg_heatmap(d, a.result["labels"], text, f"{b.short} − {a.short} (points)",
                                        float(np.abs(d).max()) or 1.0, diverging=True), f"{b.short} − {a.short}"), ""]
    parts += ["## Per-class scores", "",
              markdown_table(compare.per_class_wide(entries), per_class_columns(entries)), ""]
    return "\n".join(parts)


def html_page(title: str, sections: list[str], figs: dict[str, go.Figure]) -> str:
    """A self-contained HTML page: ``sections`` (HTML snippets) then the figures, plotly.js inlined once."""
    blocks = [f"<h3>{html.escape(name)}</h3>" + fig.to_html(full_html=False, include_plotlyjs=i == 0)
              for i, (name, fig) in enumerate(figs.items())]
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>{''.join(sections)}"
            f"{''.join(blocks)}</body></html>")


def html_report(entries: list[Entry], title: str = "GenreLab comparison") -> str:
    """The comparison as one HTML file that works offline: tables, pair verdicts and interactive figures."""
    pairs = ("".join(f"<li>{html.escape(line)}</li>" for line in pair_lines(entries))
             or "<li>Only one run selected.</li>")
    sections = ["<h2>Runs</h2>", html_table(compare.legend_rows(entries), LEGEND_COLUMNS),
                "<h2>Test accuracy</h2>", html_table(compare.accuracy_rows(entries), ACCURACY_COLUMNS, PERCENT),
                f"<h2>Are the differences real?</h2><ul>{pairs}</ul>",
                "<h2>Per-class scores</h2>", html_table(compare.per_class_wide(entries), per_class_columns(entries)),
                "<h2>Figures</h2>"]
    return html_page(title, sections, compare.figures(entries))


# --------------------------------------------------------------------------- one run

PER_CLASS_COLUMNS = {"label": "class", "precision": "precision", "recall": "recall", "f1": "F1", "support": "support"}


def run_markdown(record: dict, res: dict | None) -> str:
    """A run as Markdown: what it is, what it was measured on, its config and its test result with per-class scores."""
    lines = [f"# {record['name']}", "", f"- run id: `{record['id']}`", f"- kind: {record['kind']}",
             f"- status: {record['status']}", f"- measured on: {runs.describe_data(record)}", "", "## Config", ""]
    lines += [f"- {k}: {v}" for k, v in record.get("config", {}).items()]
    if res and "accuracy" in res:
        acc = res["accuracy"]
        lines += ["", "## Test result", "",
                  f"Accuracy {with_interval(acc, decimals=1, counts=True)} of the test set."]
        if res.get("per_class"):
            lines += ["", markdown_table(res["per_class"], PER_CLASS_COLUMNS)]
    return "\n".join(lines) + "\n"


def export_zip(run_id: str) -> bytes:
    """A zip with the run's weights, config, history, result and a Markdown report (:func:`run_markdown`)."""
    record = runs.load(run_id)
    folder = runs.run_path(run_id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("run.json", "history.json", "result.json", "model.pt"):
            if (folder / name).exists():
                zf.write(folder / name, f"{run_id}/{name}")
        zf.writestr(f"{run_id}/REPORT.md", run_markdown(record, runs.result(run_id)))
    return buf.getvalue()


# --------------------------------------------------------------------------- experiment tables

SUMMARY_COLUMNS = {"cell": "setting", "mean": "accuracy", "lo": "95 % low", "hi": "95 % high",
                   "interval": "interval over", "std": "std over seeds or folds", "min": "min", "max": "max"}
DIFFERENCE_COLUMNS = {"cell": "paired comparison (same seeds)", "mean": "difference", "lo": "95 % low",
                      "hi": "95 % high", "p_value": "p", "p_holm": "p, Holm-adjusted", "verdict": "verdict"}
PER_SEED_COLUMNS = {"cell": "setting", "seed": "seed", "epochs": "epochs", "accuracy": "accuracy", "correct": "correct",
                    "n": "test clips", "split": "split", "p_vs_baseline": "McNemar p vs baseline (this seed)",
                    "run_id": "run"}
GAN_COLUMNS = {"gan": "GAN", "seed": "seed", "tstr": "TSTR accuracy", "tstr_lo": "TSTR 95 % low",
               "tstr_hi": "TSTR 95 % high", "real": "trained on real", "ratio": "TSTR ratio",
               "c2st": "C2ST on band statistics", "c2st_lo": "C2ST 95 % low", "c2st_hi": "C2ST 95 % high",
               "c2st_embedding": "C2ST in the judge's embedding", "run_id": "run"}
EXPERIMENT_CSV_COLUMNS = ("section", "cell", "preset", "per_genre", "seed", "seeds", "unit", "clips", "accuracy",
                          "mean", "std", "lo", "hi", "min", "max", "correct", "n", "split", "p_vs_baseline", "p_value",
                          "p_holm", "interval", "test", "run_id", "verdict")


def experiment_csv(result: dict) -> str:
    """An experiment table as one CSV with sections ``summary``, ``difference`` and ``per_seed``."""
    return csv_table([{"section": section, **r} for section, key in
                              (("summary", "summary"), ("difference", "differences"), ("per_seed", "per_seed"))
                              for r in result[key]], EXPERIMENT_CSV_COLUMNS)


def spread_rows(result: dict) -> list[dict]:
    """Summary rows as interval rows (``name``, ``value``, ``lo``, ``hi``) for
    :func:`svg_intervals`."""
    return [{"name": r["cell"], "value": r["mean"], "lo": r["lo"], "hi": r["hi"]} for r in result["summary"]]


def experiment_markdown(result: dict, title: str) -> str:
    """An experiment table as Markdown, with the means and intervals as an inline SVG figure."""
    study = ", ".join(f"{'baseline' if n == 0 else f'+{n}/genre'} {v:.1%}" for n, v in STUDY.items())
    return "\n".join([
        f"# {title}", "", f"Measured on {result['measured_on']}; {result['cells_done']} of {result['cells_total']} "
        f"cells finished. The study's single runs: {study}.", "", experiment_table.units_caption(result), "",
        "## Accuracy", "",
        markdown_table(result["summary"], SUMMARY_COLUMNS, PERCENT), "",
        svg_image(svg_intervals(spread_rows(result), "Accuracy, 95 % interval over clips or seeds"),
                          "Accuracy per setting"), "",
        "## Paired differences (same seed, same split)", "",
        markdown_table(result["differences"], DIFFERENCE_COLUMNS, PERCENT), "",
        "## The GANs' samples: train on synthetic, test on real (TSTR); classifier two-sample test (C2ST)", "",
        markdown_table(result.get("gan_quality", []), GAN_COLUMNS, PERCENT), "", "## Every seed", "",
        markdown_table(result["per_seed"], PER_SEED_COLUMNS, PERCENT), ""])
