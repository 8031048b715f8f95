"""Compare finished classifier runs: what each accuracy is worth, and whether two runs can be paired.

Two runs are *paired* only when they were tested on the same clips: the same dataset (content
fingerprint) and the same set of test clip keys. Then their predictions can be matched clip by
clip and an exact McNemar test says whether the difference is more than noise. Runs tested on
different datasets or splits are shown side by side with their intervals, and nothing more is
claimed.

Everything here is a pure function of run records and results (or of the run ids, via
:func:`load_entries`); the reports (CSV, self-contained HTML, Markdown with SVG figures) are
plain strings a page can offer for download.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import itertools
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from . import charts, evaluate, runs

CSV_COLUMNS = ("section", "run", "run_id", "other_run", "dataset", "fingerprint", "split", "seed", "genre",
               "metric", "value", "lo", "hi", "correct", "n", "note")


@dataclass(frozen=True)
class Entry:
    """One finished run as a comparison sees it; ``name`` is unique within the comparison."""

    id: str
    name: str
    record: dict
    result: dict
    history: list[dict]


def unique_names(records: list[dict]) -> list[str]:
    """Run names, with the run id appended to any name that occurs more than once."""
    names = [r["name"] for r in records]
    return [f"{n} ({r['id']})" if names.count(n) > 1 else n for n, r in zip(names, records)]


def load_entries(run_ids: list[str]) -> list[Entry]:
    """Entries for the given runs, in order; runs without a test result are left out."""
    loaded = [(runs.load(i), runs.result(i)) for i in run_ids]
    loaded = [(rec, res) for rec, res in loaded if res and "accuracy" in res]
    names = unique_names([rec for rec, _ in loaded])
    return [Entry(rec["id"], name, rec, res, runs.history(rec["id"])) for name, (rec, res) in zip(names, loaded)]


def seed_of(entry: Entry) -> int | None:
    return entry.record.get("config", {}).get("seed")


def measured_on(entry: Entry) -> str:
    """'tones (12 clips, fingerprint …), stratified 70%/15%/15%, seed 0': what this run's accuracy was measured on."""
    return runs.describe_data(entry.record)


# --------------------------------------------------------------------------- pairing

def pairing(a: Entry, b: Entry) -> dict:
    """Whether ``a`` and ``b`` were tested on the same clips: ``{'paired': bool, 'reason': str}``."""
    fa, fb = (e.record.get("dataset", {}).get("fingerprint") for e in (a, b))
    if fa is None or fa != fb:
        return {"paired": False, "reason": (
            f"{a.name} and {b.name} were tested on different datasets ({measured_on(a)} vs {measured_on(b)}), "
            "so their predictions cannot be paired: compare their intervals only.")}
    if list(a.result["labels"]) != list(b.result["labels"]):
        return {"paired": False,
                "reason": f"{a.name} and {b.name} use different genre labels, so they cannot be paired."}
    keys_a, keys_b = set(a.result["keys"]), set(b.result["keys"])
    if keys_a != keys_b:
        shared = len(keys_a & keys_b)
        return {"paired": False, "reason": (
            f"{a.name} and {b.name} were tested on different clips of the same dataset "
            f"({a.record.get('split_name', '?')} vs {b.record.get('split_name', '?')}; {shared} of "
            f"{len(keys_a)} and {len(keys_b)} test clips in common), so their predictions cannot be paired: "
            "compare their intervals only.")}
    return {"paired": True, "reason": f"{a.name} and {b.name} were tested on the same {len(keys_a)} clips, "
                                      "so their predictions can be compared clip by clip."}


def paired_correctness(a: Entry, b: Entry) -> tuple[np.ndarray, np.ndarray]:
    """Per-clip correctness of ``a`` and ``b``, aligned on ``a``'s test clip order (runs must be paired)."""
    where = {k: i for i, k in enumerate(b.result["keys"])}
    order = np.array([where[k] for k in a.result["keys"]], dtype=np.int64)
    correct_a = np.asarray(a.result["y_pred"]) == np.asarray(a.result["y_true"])
    correct_b = (np.asarray(b.result["y_pred"]) == np.asarray(b.result["y_true"]))[order]
    return correct_a, correct_b


def compare_pair(a: Entry, b: Entry) -> dict:
    """Pairing verdict for two runs, plus McNemar's exact test and its plain sentence when paired."""
    verdict = {"a": a.name, "b": b.name, **pairing(a, b), "mcnemar": None, "sentence": ""}
    if verdict["paired"]:
        m = evaluate.mcnemar_exact(*paired_correctness(a, b))
        verdict.update(mcnemar=m, sentence=evaluate.describe_difference(m, a.name, b.name))
    return verdict


def compare_all(entries: list[Entry]) -> list[dict]:
    """:func:`compare_pair` for every pair of runs, in selection order."""
    return [compare_pair(a, b) for a, b in itertools.combinations(entries, 2)]


# --------------------------------------------------------------------------- tables

def accuracy_rows(entries: list[Entry]) -> list[dict]:
    """One row per run: accuracy with its 95 % interval and what it was measured on."""
    return [{"run": e.name, "run_id": e.id, "accuracy": e.result["accuracy"]["value"],
             "lo": e.result["accuracy"]["lo"], "hi": e.result["accuracy"]["hi"],
             "correct": e.result["accuracy"]["correct"], "n": e.result["accuracy"]["n"],
             "dataset": e.record.get("dataset", {}).get("name", "?"),
             "fingerprint": e.record.get("dataset", {}).get("fingerprint", "?"),
             "split": e.record.get("split_name", "?"), "seed": seed_of(e), "preset": e.record.get("preset", "?")}
            for e in entries]


def per_class_rows(entries: list[Entry]) -> list[dict]:
    """Precision, recall, F1 and support per genre and run, genres in label order, runs in selection order."""
    labels = list(dict.fromkeys(r["label"] for e in entries for r in e.result["per_class"]))
    by_run = {e.name: {r["label"]: r for r in e.result["per_class"]} for e in entries}
    return [{"genre": g, "run": name, **{k: scores[g][k] for k in ("precision", "recall", "f1", "support")}}
            for g in labels for name, scores in by_run.items() if g in scores]


def csv_rows(entries: list[Entry]) -> list[dict]:
    """The whole comparison as one long table (:data:`CSV_COLUMNS`).

    Sections: ``accuracy`` (one row per run), ``per_class`` (per run, genre and metric), ``paired`` (per pair).
    """
    info = {e.name: {"run_id": e.id, "dataset": e.record.get("dataset", {}).get("name", ""),
                     "fingerprint": e.record.get("dataset", {}).get("fingerprint", ""),
                     "split": e.record.get("split_name", ""), "seed": seed_of(e)} for e in entries}
    out = [{"section": "accuracy", "run": r["run"], **info[r["run"]], "metric": "accuracy", "value": r["accuracy"],
            "lo": r["lo"], "hi": r["hi"], "correct": r["correct"], "n": r["n"]} for r in accuracy_rows(entries)]
    out += [{"section": "per_class", "run": r["run"], **info[r["run"]], "genre": r["genre"], "metric": metric,
             "value": r[metric], "n": r["support"]}
            for r in per_class_rows(entries) for metric in ("precision", "recall", "f1")]
    for c in compare_all(entries):
        m = c["mcnemar"] or {}
        out.append({"section": "paired", "run": c["a"], **info[c["a"]], "other_run": c["b"],
                    "metric": "mcnemar_p" if c["paired"] else "not_paired", "value": m.get("p_value"),
                    "correct": m.get("b"), "n": m.get("n"), "note": c["sentence"] or c["reason"]})
    return out


def comparison_csv(entries: list[Entry]) -> str:
    """:func:`csv_rows` as CSV text (for paired rows, ``correct`` holds the clips only the first run got right)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, restval="", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(csv_rows(entries))
    return buf.getvalue()


# --------------------------------------------------------------------------- figures

def accuracy_figure(entries: list[Entry]) -> go.Figure:
    """Every run's test accuracy with its 95 % Wilson interval in one chart."""
    return charts.accuracy_intervals([{"name": e.name, **e.result["accuracy"], "note": measured_on(e)}
                                      for e in entries])


def count_scale(entries: list[Entry]) -> float:
    """The largest confusion count over all runs, so every count heatmap shares one colour scale."""
    return float(max(np.max(e.result["confusion"]) for e in entries)) or 1.0


def confusion_figure(entry: Entry, normalise: bool, zmax: float) -> go.Figure:
    """A run's confusion matrix (counts or row fractions) on a shared colour scale ``zmax``."""
    return charts.confusion_heatmap(np.array(entry.result["confusion"]), entry.result["labels"], normalise=normalise,
                                    zmax=1.0 if normalise else zmax, title=entry.name)


def rate_difference(a: Entry, b: Entry) -> np.ndarray:
    """Row-normalised confusion of ``b`` minus that of ``a``, in percentage points (rounded)."""
    rates = [evaluate.row_normalise(np.array(e.result["confusion"])) for e in (a, b)]
    return np.round(100 * (rates[1] - rates[0]))


def difference_figure(a: Entry, b: Entry) -> go.Figure:
    """Diverging heatmap of :func:`rate_difference` (blue: ``b`` puts more of that true genre there)."""
    return charts.confusion_heatmap(rate_difference(a, b), a.result["labels"], diverging=True,
                                    title=f"{b.name} − {a.name} (percentage points of each true genre)")


def differences(entries: list[Entry]) -> list[tuple[Entry, Entry]]:
    """(reference, other) pairs for difference matrices: every run against the first one with the same labels."""
    ref = entries[0]
    return [(ref, e) for e in entries[1:] if list(e.result["labels"]) == list(ref.result["labels"])]


def figures(entries: list[Entry]) -> dict[str, go.Figure]:
    """Title → figure, everything a report shows, in reading order."""
    zmax = count_scale(entries)
    out = {"Test accuracy with 95 % intervals": accuracy_figure(entries)}
    out |= {f"Confusion (counts): {e.name}": confusion_figure(e, False, zmax) for e in entries}
    out |= {f"Confusion (row-normalised): {e.name}": confusion_figure(e, True, zmax) for e in entries}
    out |= {f"Difference: {b.name} − {a.name}": difference_figure(a, b) for a, b in differences(entries)}
    if any(e.history for e in entries):
        out["Learning curves"] = charts.learning_curves({e.name: e.history for e in entries if e.history})
    return out


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


def format_cell(value, percent: bool) -> str:
    """A table cell: '–' for missing or NaN, '52.5 %' for a percentage, 3 significant digits for other floats."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.1%}".replace("%", " %") if percent else f"{value:.3g}"
    return str(value)


def markdown_table(rows: list[dict], columns: dict[str, str], percent: tuple[str, ...] = ()) -> str:
    """A Markdown table of ``rows`` with ``columns`` (key → header); keys in ``percent`` shown as percentages."""
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(format_cell(r.get(k), k in percent).replace("|", "\\|") for k in columns) + " |"
              for r in rows]
    return "\n".join(lines)


def _confusion_svg(entry: Entry, normalise: bool, zmax: float) -> str:
    cm = np.array(entry.result["confusion"], dtype=float)
    z = evaluate.row_normalise(cm) if normalise else cm
    text = [[f"{v:.0%}" if normalise else f"{v:g}" for v in row] for row in z]
    kind = "row-normalised" if normalise else "counts"
    return svg_heatmap(z, entry.result["labels"], text, f"{entry.name} ({kind})", 1.0 if normalise else zmax)


# --------------------------------------------------------------------------- reports

ACCURACY_COLUMNS = {"run": "run", "accuracy": "accuracy", "lo": "95 % low", "hi": "95 % high", "correct": "correct",
                    "n": "test clips", "dataset": "dataset", "split": "split", "seed": "seed"}
PER_CLASS_COLUMNS = {"genre": "genre", "run": "run", "precision": "precision", "recall": "recall", "f1": "F1",
                     "support": "support"}
PERCENT = ("accuracy", "lo", "hi")


def pair_lines(entries: list[Entry]) -> list[str]:
    """One sentence per pair of runs: the McNemar verdict when paired, otherwise why they are not."""
    return [c["sentence"] or c["reason"] for c in compare_all(entries)]


def markdown_report(entries: list[Entry], title: str = "GenreLab comparison") -> str:
    """The comparison as Markdown: tables, pair verdicts and the figures as inline SVG images."""
    zmax = count_scale(entries)
    acc = accuracy_rows(entries)
    parts = [f"# {title}", "", "## Test accuracy", "", markdown_table(acc, ACCURACY_COLUMNS, PERCENT), "",
             svg_image(svg_intervals([{"name": r["run"], "value": r["accuracy"], **r} for r in acc],
                                     "Test accuracy with 95 % intervals"), "Test accuracy with 95 % intervals"), "",
             "## Are the differences real?", ""]
    parts += [f"- {line}" for line in pair_lines(entries)] or ["- Only one run selected."]
    parts += ["", "## Confusion matrices", ""]
    for e in entries:
        parts += [svg_image(_confusion_svg(e, False, zmax), f"{e.name} counts"),
                  svg_image(_confusion_svg(e, True, zmax), f"{e.name} row-normalised"), ""]
    for a, b in differences(entries):
        d = rate_difference(a, b)
        text = [[f"{v:+.0f}" if v else "0" for v in row] for row in d]
        parts += [svg_image(svg_heatmap(d, a.result["labels"], text, f"{b.name} − {a.name} (points)",
                                        float(np.abs(d).max()) or 1.0, diverging=True), f"{b.name} − {a.name}"), ""]
    parts += ["## Per-class scores", "", markdown_table(per_class_rows(entries), PER_CLASS_COLUMNS), ""]
    return "\n".join(parts)


def html_table(rows: list[dict], columns: dict[str, str], percent: tuple[str, ...] = ()) -> str:
    """An HTML table of ``rows`` with ``columns`` (key → header); keys in ``percent`` shown as percentages."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    body = "".join("<tr>" + "".join(f"<td>{html.escape(format_cell(r.get(k), k in percent))}</td>" for k in columns)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


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
    sections = ["<h2>Test accuracy</h2>", html_table(accuracy_rows(entries), ACCURACY_COLUMNS, PERCENT),
                f"<h2>Are the differences real?</h2><ul>{pairs}</ul>",
                "<h2>Per-class scores</h2>", html_table(per_class_rows(entries), PER_CLASS_COLUMNS),
                "<h2>Figures</h2>"]
    return html_page(title, sections, figures(entries))
