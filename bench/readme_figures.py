"""Rewrite the generated tables of README.md and docs/ from ``bench/results.json``.

    python bench/readme_figures.py           # rewrite every document of DOCUMENTS between its markers
    python bench/readme_figures.py --check   # exit 1 if any of them is not what results.json says

Each table sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``; :data:`DOCUMENTS` says which document
holds which. ``headline`` (README) is :data:`figures.HEADLINE`; ``figures`` (docs/benchmarks.md) is one row per
entry of :data:`figures.FIGURES`, in that order; ``study`` (docs/benchmarks.md) is built from ``bench_experiment``'s
table figures (:data:`figures.STUDY`), with the p-values of every comparison it shows adjusted together (Holm);
``heads`` and ``gan`` (docs/research-log.md) are every head tried on the pretrained ear and the GAN section's
per-seed table (:data:`figures.GAN_SEEDS`). A catalogued figure missing from results.json is an error that names
it: no document shows a number that no command produced. A wall-clock figure timed on a busy machine
(``under_load``, see ``bench/common.py``) says so beside its value. Text outside the markers is left byte for
byte; running it twice changes nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from core.base import config  # noqa: E402
from core.compute import significance  # noqa: E402
from core.usecases import experiment_table  # noqa: E402
from figures import FIGURES, GAN_SEEDS, HEADLINE, STUDY  # noqa: E402

REPO = BENCH.parent
README = REPO / "README.md"
DOCUMENTS: dict[Path, tuple[str, ...]] = {README: ("headline",), REPO / "docs" / "benchmarks.md": ("figures", "study"),
                                          REPO / "docs" / "research-log.md": ("heads", "gan")}
"""Every document with generated tables, and the tables (marker names) it holds."""
RESULTS = BENCH / "results.json"


class MissingFigures(KeyError):
    """Figures the catalog lists that results.json does not hold."""


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _span(lo: float, hi: float) -> str:
    return f"{100 * lo:.1f}–{100 * hi:.1f}"


def _range(lo: float, hi: float) -> str:
    return f"{_span(lo, hi)} %"


def under_load(entry: dict) -> str:
    """The mark of a wall-clock figure timed on a busy machine, "" for any other."""
    load = entry.get("under_load")
    return "" if load is None else f"measured under load {load}: not comparable"


def render_value(entry: dict) -> str:
    """A figure's value for a table cell: accuracies with their interval and count, numbers as printed, a figure
    timed under load marked."""
    mark = under_load(entry)
    return f"{_value(entry)} ⚠ *{mark}*" if mark else _value(entry)


def _value(entry: dict) -> str:
    value = entry["value"]
    if value is None:
        return f"skipped: {entry.get('note', 'no value')}"
    if isinstance(value, dict) and {"value", "lo", "hi"} <= set(value):
        count = f", {value['correct']} of {value['n']} clips" if "n" in value else ""
        return f"**{_pct(value['value'])}** (95 % CI {_range(value['lo'], value['hi'])}{count})"
    if isinstance(value, dict) and {"mean", "min", "max"} <= set(value):
        return f"**{_pct(value['mean'])}** mean (range {_range(value['min'], value['max'])})"
    if isinstance(value, bool):
        return f"**{'yes' if value else 'no'}**"
    if isinstance(value, float) and "ci95" in entry:
        count = f", {entry['n']} clips" if "n" in entry else ""
        return f"**{_pct(value)}** (95 % CI {_range(*entry['ci95'])}{count})"
    if isinstance(value, (int, float)):
        return f"**{value:g}**"
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def provenance(entry: dict) -> str:
    """When, where and how a figure was measured: date, commit, load (of a timing: when it started, which the guard
    checked, and when it ended, which includes the benchmark's own servers and workers), the CPU a timing ran on
    (timings from two machines do not compare), quick run, and any
    ``caveat`` or ``not_regenerated`` note stored with it."""
    load = entry.get("load_average", "?")
    if "load_before" in entry and entry["load_before"] != load:  # a timing: the guard read the load just before it
        load = f"{entry['load_before']} when the timing started ({load} when it ended)"
    text = f"{entry['date']}, `{entry['commit']}`, load {load}" + (f", on {entry['cpu']}" if entry.get("cpu") else "")
    if entry.get("quick"):
        args = " ".join(entry["args"])
        text += f"; quick run (`{args}`)" if args else "; quick run (this script at full size)"
    if entry.get("caveat"):
        text += f"; {entry['caveat']}"
    if entry.get("not_regenerated"):
        text += f"; **not regenerated**: {entry['not_regenerated']}"
    return text


def _require(results: dict, keys) -> None:
    missing = [k for k in keys if k not in results]
    if missing:
        raise MissingFigures(f"results.json has no {', '.join(missing)}: run `python bench/run_all.py --only "
                             f"<job>` for the script(s) that print them, or remove them from bench/figures.py")


def render_figures(results: dict, catalog: dict[str, tuple[str, str]] = FIGURES) -> str:
    """The figures table (Markdown) for every catalogued figure, in catalog order."""
    _require(results, catalog)
    lines = ["| figure (script) | target | measured | measured when, at which commit, machine load |",
             "|---|---|---|---|"]
    for key, (description, target) in catalog.items():
        entry = results[key]
        lines.append(f"| {description} (`{key.split('/')[0]}`) | {target} | {render_value(entry)} | "
                     f"{provenance(entry)} |")
    return "\n".join(lines)


def render_study(results: dict, study: dict[str, str] = STUDY) -> str:
    """The study's table: one column per experiment, Holm's adjustment over every comparison shown."""
    if not study:
        return ("*Not regenerated under the current statistics yet: no experiment is listed in `bench/figures.py`'s "
                "`STUDY`. Run `python bench/run_all.py --only bench_experiment_controls` (the GAN against its "
                "controls) or `--only bench_experiment_demo,bench_experiment_gtzan_mini` (the study's grid, "
                "hours), then list their table figures there.*")
    _require(results, study)
    tables = {name: results[key]["value"] for key, name in study.items()}
    cells = list(dict.fromkeys(r["cell"] for t in tables.values() for r in t["summary"]))
    diffs = [(name, d) for name, t in tables.items() for d in t["differences"]]
    adjusted = significance.holm([math.nan if d["p_value"] is None else d["p_value"] for _, d in diffs])
    m = int(np.sum(~np.isnan(adjusted)))
    lines = [f"| setting | {' | '.join(tables)} |", "|---" * (len(tables) + 1) + "|"]
    for cell in cells:
        row = [next((r for r in t["summary"] if r["cell"] == cell), None) for t in tables.values()]
        lines.append(f"| {cell} | " + " | ".join(
            "–" if r is None else f"{_pct(r['mean'])} ({_range(r['lo'], r['hi'])}; {r['interval']})"
            if r["lo"] is not None else f"{_pct(r['mean'])} ({r['interval']})" for r in row) + " |")
    lines.append(f"| **paired differences, the same seeds** (Holm over {m} comparison{'s' if m != 1 else ''}) |"
                 + " |" * len(tables))
    for cell in dict.fromkeys(d["cell"] for _, d in diffs):
        texts = []
        for name in tables:
            found = [(d, p) for (n, d), p in zip(diffs, adjusted) if n == name and d["cell"] == cell]
            if not found:
                texts.append("–")
                continue
            d, p = found[0]
            d = {**d, "p_holm": None if math.isnan(p) else float(p)}
            text = f"{100 * d['mean']:+.1f} pts"
            if d["lo"] is not None:
                text += f" [{100 * d['lo']:+.1f}, {100 * d['hi']:+.1f}]"
            verdict = experiment_table.verdict(d, m)
            shown = any(word in verdict for word in ("helped", "hurt", "better than", "worse than"))
            texts.append(f"{text}: **{verdict}**" if shown else f"{text}: {verdict}")
        lines.append(f"| {cell} | " + " | ".join(texts) + " |")
    sources = [f"{name}: {tables[name]['measured_on']} ({provenance(results[key])})" for key, name in study.items()]
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {s}" for s in sources)


GAN_MEASURES = ("tstr_ratio", "c2st", "c2st_embedding", "train_seconds", "fidelity", "frechet")


def gan_row(label: str, seed: int, f: dict[str, dict]) -> str:
    """One GAN run's row: ``f`` maps each of :data:`GAN_MEASURES` to its ``bench_gan`` figure entry."""
    t, c = f["tstr_ratio"], f["c2st"]
    ratio = "–" if t["value"] is None else f"**{t['value']:.2f}**"
    return (f"| {label} | {seed} | {_pct(t['tstr_accuracy'])} [{_span(*t['tstr_ci95'])}] / "
            f"{_pct(t['real_accuracy'])} = {ratio} | **{_pct(c['value'])}** [{_span(*c['ci95'])}] | "
            f"{_pct(f['c2st_embedding']['value'])} | {f['train_seconds']['value']:.0f} s "
            f"({under_load(f['train_seconds']) or 'load ' + str(f['train_seconds']['load_average'])}) | "
            f"{100 * f['fidelity']['value']:.0f} % vs "
            f"{100 * f['fidelity']['judge_on_real_segments']:.0f} % | {f['frechet']['value']:.1f} vs "
            f"{f['frechet']['real_floor']:.1f} |")


def gan_keys(rows: dict[str, tuple[str, tuple[int, ...]]] = GAN_SEEDS) -> dict[tuple[str, int], dict[str, str]]:
    """(row label, seed) → {measure: results.json key} of every run the GAN table shows."""
    return {(label, seed): {m: f"{stem}_{m}_seed{seed}" for m in GAN_MEASURES}
            for label, (stem, seeds) in rows.items() for seed in seeds}


def shown(catalog: dict = FIGURES, study: dict = STUDY, gan: dict = GAN_SEEDS) -> list[str]:
    """Every results.json key the generated tables show (README's headline keys are all in ``catalog``)."""
    return [*catalog, *(k for row in gan_keys(gan).values() for k in row.values()), *study]


def render_gan(results: dict, rows: dict[str, tuple[str, tuple[int, ...]]] = GAN_SEEDS) -> str:
    """The GAN section's table: one row per GAN run of ``bench_gan``, in the order of ``rows``."""
    keys = gan_keys(rows)
    _require(results, [k for row in keys.values() for k in row.values()])
    head = ["| GAN | seed | TSTR: samples only [95 %] / real = ratio (≥ 0.8) | C2ST, band statistics (≤ 75 %) | "
            "C2ST, embedding | training (≤ 300 s) | fidelity vs the judge on real segments | Fréchet vs real floor "
            "(the same n on each side) |", "|---|---|---|---|---|---|---|---|"]
    return "\n".join(head + [gan_row(label, seed, {m: results[k] for m, k in row.items()})
                             for (label, seed), row in keys.items()])


HEADS = "bench_pretrained/pretrained_select_cv_"
"""results.json keys of the pretrained ear's heads (``bench_pretrained.py --select``), one per head tried."""


def render_heads(results: dict) -> str:
    """Every head tried on the pretrained ear: its CV on SELECT_PARTITION (what chose) and its musifeast-7 figure
    (a record, never a choice), the preset's head in bold."""
    keys = [k for k in results if k.startswith(HEADS)]
    if not keys:
        raise MissingFigures("results.json has no pretrained heads: run `python bench/run_all.py --only "
                             "bench_pretrained` (it passes --select)")
    chosen = config.PRETRAINED_PRESETS["pretrained"]
    lines = ["| layer | pooling | C | features | selection CV (SELECT_PARTITION, 100 clips) | musifeast-7 (record) | "
             "country recall |", "|---|---|---|---|---|---|---|"]
    for k in keys:
        e = results[k]
        cells = [e["layer"], e["pooling"], f"{e['C']:g}", str(e["features"]), _pct(e["value"]), _pct(e["musifeast"]),
                 _pct(e["musifeast_recall"]["country"])]
        if all(e[f] == chosen[f] for f in ("layer", "pooling", "C")):
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + f"\n\n- {provenance(results[keys[0]])}; musifeast-7: {results[keys[0]]['musifeast_note']}"


def markers(text: str) -> tuple[str, ...]:
    """The names of the generated tables ``text`` holds (either of its markers present), in :data:`RENDERERS`
    order."""
    return tuple(n for n in RENDERERS if f"<!-- {n}:start -->" in text or f"<!-- {n}:end -->" in text)


def replace_between(text: str, name: str, body: str) -> str:
    """``text`` with everything between ``<!-- name:start -->`` and ``<!-- name:end -->`` replaced by ``body``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"a document needs exactly one {start} followed by one {end}")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


RENDERERS = {"headline": lambda results, tables: render_figures(results, tables["headline"]),
             "figures": lambda results, tables: render_figures(results, tables["figures"]),
             "gan": lambda results, tables: render_gan(results, tables["gan"]),
             "heads": lambda results, tables: render_heads(results),
             "study": lambda results, tables: render_study(results, tables["study"])}
"""Marker name → how its table is rendered from results.json and the catalogs."""


def update(text: str, results: dict, catalog: dict = FIGURES, study: dict = STUDY, gan: dict = GAN_SEEDS,
           headline: dict = HEADLINE) -> str:
    """A document's text with every generated table it holds rewritten from ``results``."""
    tables = {"headline": headline, "figures": catalog, "gan": gan, "study": study}
    for name in markers(text):
        text = replace_between(text, name, RENDERERS[name](results, tables))
    return text


def render_document(path: Path, results: dict, **catalogs) -> str:
    """:func:`update` (``catalogs`` as its keywords) of one of :data:`DOCUMENTS`, which must hold exactly the tables
    listed for it."""
    text = path.read_text()
    found = markers(text)
    if sorted(found) != sorted(DOCUMENTS[path]):
        raise ValueError(f"{path.relative_to(REPO)} holds the tables {list(found)}, not {list(DOCUMENTS[path])}")
    return update(text, results, **catalogs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that every document is up to date")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    results = json.loads(args.results.read_text())
    stale = []
    for path in DOCUMENTS:
        text, new = path.read_text(), render_document(path, results)
        if new != text:
            stale.append(path.relative_to(REPO))
            if not args.check:
                path.write_text(new)
    if args.check and stale:
        print(f"out of date: {', '.join(map(str, stale))}: run python bench/readme_figures.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
