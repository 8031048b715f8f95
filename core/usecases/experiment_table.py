"""An experiment's table from its finished child runs: accuracy per cell and seed, per setting with its interval
(pooled over clips for the folds of one cross-validation, over seeds otherwise), paired differences with their
Holm-adjusted verdicts, and the GAN runs' own TSTR and C2ST. Rendered by :mod:`.reports` (``experiment_markdown``,
``experiment_csv``)."""

from __future__ import annotations

import math

from ..base import splits
from ..base.arms import arm_config, model_name, rivals
from ..base.experiment_plan import CONTROLS, cell_key, cell_label, cells, classifier_config
from ..compute import intervals, significance
from ..storage import runs
from . import compare


def finished(run_id: str | None) -> bool:
    """True if ``run_id`` names a run that completed (``done``) and can be reused."""
    if not run_id:
        return False
    try:
        return runs.load(run_id)["status"] == "done"
    except runs.RunError:
        return False


def _entry(run_id: str) -> compare.Entry | None:
    if not finished(run_id):
        return None
    res = runs.result(run_id)
    return compare.Entry(run_id, run_id, runs.load(run_id), res, []) if res else None


def per_seed_rows(record: dict) -> list[dict]:
    """One row per finished cell: accuracy, what it was measured on, and McNemar vs its seed's baseline.

    ``split_kind`` is the cell's split (``fold5`` rows of one partition are pooled by :func:`summarise`);
    ``only_baseline`` / ``only_this`` count the test clips only the baseline / only this cell got right;
    a GAN cell's ``vs_controls`` holds the same two counts against each control of its seed and amount, and a
    baseline-only arm's ``vs_arms`` against each LSTM baseline of its seed tested on the same clips
    (``unpaired_arms``: the LSTM presets whose baseline of its seed was tested on other clips).
    """
    p = record["config"]
    entries = {c["key"]: _entry(record.get("cells", {}).get(c["key"])) for c in cells(p)}
    rows = []
    for c in cells(p):
        e = entries[c["key"]]
        if e is None:
            continue
        base = entries.get(cell_key(c["preset"], 0, c["seed"]))
        m = (compare.compare_pair(base, e)["mcnemar"] if base is not None and c["per_genre"] else None) or {}
        controls = {k: entries.get(cell_key(c["preset"], c["per_genre"], c["seed"], k)) for k in CONTROLS}
        vs = {k: compare.compare_pair(other, e)["mcnemar"] for k, other in controls.items()
              if c["kind"] == "gan" and other is not None}
        lstms = {k: entries.get(cell_key(k, 0, c["seed"])) for k in rivals(p, c["preset"])}
        pairs = {k: compare.compare_pair(other, e) for k, other in lstms.items() if other is not None}
        vs_arms = {k: v["mcnemar"] for k, v in pairs.items()}
        acc = e.result["accuracy"]
        rows.append({"cell": cell_label(c["preset"], c["gan"], c["per_genre"], c["kind"]), "preset": c["preset"],
                     "gan": c["gan"] if c["kind"] == "gan" else "", "per_genre": c["per_genre"], "kind": c["kind"],
                     "seed": c["seed"], "epochs": e.record["config"].get("epochs"),
                     "accuracy": acc["value"], "lo": acc["lo"], "hi": acc["hi"], "correct": acc["correct"],
                     "n": acc["n"], "split": e.record.get("split_name", ""),
                     "split_kind": classifier_config(p, c).split, "run_id": e.id, "p_vs_baseline": m.get("p_value"),
                     "only_baseline": m.get("b"), "only_this": m.get("c"),
                     "vs_controls": {k: [v["b"], v["c"]] for k, v in vs.items() if v},
                     "vs_arms": {k: [v["b"], v["c"]] for k, v in vs_arms.items() if v},
                     "unpaired_arms": [k for k, v in pairs.items() if not v["paired"]]})
    return rows


def one_cross_validation(rows: list[dict]) -> bool:
    """True when ``rows`` are folds of one k-fold partition (``fold5`` seeds of one partition, e.g. 5-9).

    Their test sets are disjoint, so their clips pool into one test set; their accuracies are not
    independent (the folds share training clips), so they are never treated as independent seeds.
    """
    return bool(rows) and all(r.get("split_kind") == "fold5" and "correct" in r for r in rows) and len(
        {splits.partition_of(r["seed"]) for r in rows}) == 1


def _summary_row(rows: list[dict]) -> dict:
    accs = [r["accuracy"] for r in rows]
    out = {"cell": rows[0]["cell"], "preset": rows[0]["preset"], "per_genre": rows[0]["per_genre"],
           "seeds": len(rows), "min": min(accs), "max": max(accs)}
    if one_cross_validation(rows):
        acc = intervals.pooled_accuracy([r["correct"] for r in rows], [r["n"] for r in rows])
        return {**out, "unit": "clips", "clips": acc["n"], "mean": acc["value"],
                "std": intervals.mean_interval(accs)["std"], "lo": acc["lo"], "hi": acc["hi"],
                "interval": f"Wilson over {acc['n']} clips ({len(rows)} folds of one cross-validation, pooled)"}
    stats = intervals.mean_interval(accs)
    return {**out, "unit": "seeds", "clips": None, "mean": stats["mean"], "std": stats["std"],
            "lo": max(stats["lo"], 0.0), "hi": min(stats["hi"], 1.0),
            "interval": f"t over {stats['n']} seed{'s' if stats['n'] != 1 else ''}"}


def _counts(r: dict, against: str) -> tuple[int | None, int | None]:
    """Test clips only the ``against`` cell (``baseline``, a control, or another arm's baseline) of the seed got
    right, and only row ``r`` got right."""
    if against == "baseline":
        return r.get("only_baseline"), r.get("only_this")
    return tuple({**r.get("vs_controls", {}), **r.get("vs_arms", {})}.get(against) or (None, None))


def _difference_row(rows: list[dict], base: dict[int, dict], against: str = "baseline") -> dict | None:
    """Paired difference of one setting to the ``against`` cell (``baseline``, a control or another arm's
    baseline) of the same seeds, over the seeds where both finished."""
    rows = [r for r in rows if r["seed"] in base]
    if not rows:
        return None
    out = {"cell": rows[0]["cell"], "preset": rows[0]["preset"], "per_genre": rows[0]["per_genre"], "seeds": len(rows),
           "differences": [r["accuracy"] - base[r["seed"]]["accuracy"] for r in rows]}
    counts = [_counts(r, against) for r in rows]
    if one_cross_validation(rows + [base[r["seed"]] for r in rows]) and all(c is not None for c, _ in counts):
        m = significance.pooled_mcnemar([{"b": b, "c": c, "n": r["n"]} for r, (b, c) in zip(rows, counts)])
        return {**out, "unit": "clips", "clips": m["n"], "mean": (m["c"] - m["b"]) / m["n"], "std": None, "lo": None,
                "hi": None, "p_value": m["p_value"], "test": f"exact McNemar over {m['n']} clips ({m['b']} only the "
                f"{against} got right, {m['c']} only this one; {len(rows)} folds pooled)"}
    d = significance.paired_differences([base[r["seed"]]["accuracy"] for r in rows], [r["accuracy"] for r in rows])
    return {**out, "unit": "seeds", "clips": None, "mean": d["mean"], "std": d["std"], "lo": d["lo"], "hi": d["hi"],
            "p_value": significance.paired_p_value(d["differences"]), "test": f"paired t over {d['n']} seeds"}


def summarise(per_seed: list[dict], alpha: float = 0.05) -> dict:
    """Accuracy per setting with its interval, and paired differences to the same seeds' baseline, Holm-adjusted.

    Cells whose seeds are the folds of one cross-validation (:func:`one_cross_validation`) are pooled:
    accuracy with a Wilson interval over all their clips, and one exact McNemar test over all clips
    against the baseline. Cells over independent splits (other seeds) keep a Student-t interval over
    seeds (clipped to [0, 1]) and a paired t-test. The p-values of every difference in the table are
    then adjusted together (Holm–Bonferroni, ``p_holm``), and each ``verdict`` follows the adjusted value.

    Every augmented or control setting is compared with its baseline, every GAN setting also with
    each control of the same amount (does the GAN beat training longer, and simple augmentation?), and a
    baseline-only arm (the pretrained ear) with each LSTM's baseline over the seeds tested on the same clips.

    ``per_seed`` rows need ``cell``, ``preset``, ``per_genre``, ``seed``, ``accuracy`` and optionally
    ``kind`` (``baseline``, ``gan``, ``steps``, ``masked``; without it every augmented row is a GAN row) and
    ``vs_arms`` (LSTM presets → counts; the seeds a baseline-only arm shares test clips with them);
    pooling also needs ``split_kind``, ``correct``, ``n``, ``only_baseline``, ``only_this`` (and
    ``vs_controls``). Returns ``{"summary": [...],
    "differences": [...], "comparisons": m}``; a difference uses only seeds where both cells finished.
    """
    groups: dict[str, list[dict]] = {}
    for r in per_seed:
        groups.setdefault(r["cell"], []).append(r)
    summary = [_summary_row(rows) for rows in groups.values()]
    kind = lambda r: r.get("kind", "gan" if r["per_genre"] else "baseline")  # noqa: E731
    differences = []
    for cell, rows in groups.items():
        first = rows[0]
        if kind(first) == "baseline":  # a baseline-only arm beside each LSTM baseline tested on its clips
            against = [(k, f"{cell} vs the {model_name(k)} (same seeds, same test clips)", k, 0,
                        [r for r in rows if k in r.get("vs_arms", {})])
                       for k in dict.fromkeys(k for r in rows for k in r.get("vs_arms", {}))]
        else:
            against = [("baseline", f"{cell} vs the same seed's baseline", first["preset"], 0, rows)]
        if kind(first) == "gan":
            against += [(k, f"{cell} vs {label}", first["preset"], first["per_genre"], rows) for k, label in (
                ("steps", "the baseline trained as many steps"), ("masked", "as many masked copies"))]
        for k, name, preset, n, paired in against:
            base = {r["seed"]: r for r in per_seed if r["preset"] == preset and r["per_genre"] == n
                    and kind(r) == (k if k in CONTROLS else "baseline")}
            d = _difference_row(paired, base, k)
            if d is not None:
                differences.append({**d, "cell": name, "against": k})
    adjusted = significance.holm([d["p_value"] for d in differences]) if differences else []
    comparisons = sum(1 for d in differences if not math.isnan(d["p_value"]))
    for d, p_holm in zip(differences, adjusted):
        d["p_holm"] = None if math.isnan(p_holm) else float(p_holm)
        d["p_value"] = None if math.isnan(d["p_value"]) else d["p_value"]
        d["verdict"] = verdict(d, comparisons, alpha)
    return {"summary": summary, "differences": differences, "comparisons": comparisons}


def verdict(d: dict, comparisons: int, alpha: float = 0.05) -> str:
    """A plain sentence about a paired difference, following its Holm-adjusted p-value ``d['p_holm']``."""
    if d["p_holm"] is None:
        return "one seed only: the spread over seeds is unknown, so nothing can be concluded"
    tested = (f"{d['test']}: p = {d['p_value']:.2g}, {d['p_holm']:.2g} after Holm's adjustment for "
              f"{comparisons} comparison{'s' if comparisons != 1 else ''} in this table")
    if d["p_holm"] >= alpha or d["mean"] == 0:
        return f"no difference shown ({tested})"
    against = d.get("against", "baseline")
    if against in CONTROLS:
        return f"the GAN samples did {'better' if d['mean'] > 0 else 'worse'} than this control ({tested})"
    if against != "baseline":
        return f"this model did {'better' if d['mean'] > 0 else 'worse'} than the {model_name(against)} ({tested})"
    return f"augmentation {'helped' if d['mean'] > 0 else 'hurt'} on this data ({tested})"


def units_caption(result: dict) -> str:
    """What each interval and test of an experiment table is over: clips, folds or seeds."""
    kinds = {r["interval"] for r in result["summary"]}
    parts = [f"Accuracy intervals (95 %): {'; '.join(sorted(kinds))}."] if kinds else []
    if any(r["unit"] == "clips" for r in result["summary"]):
        parts.append("Folds of one cross-validation test every clip once and share training clips, so they are "
                     "pooled over clips rather than treated as independent seeds.")
    if result["differences"]:
        parts.append(f"Differences: exact McNemar over pooled clips or paired t over seeds, p-values adjusted "
                     f"together (Holm) over the {result['comparisons']} comparisons of the table; a verdict follows "
                     "the adjusted value.")
    parts += unpaired_notes(result["per_seed"]) if "per_seed" in result else []
    return " ".join(parts)


def unpaired_notes(per_seed: list[dict]) -> list[str]:
    """One sentence per baseline-only arm and LSTM it was never paired with: their seeds' test clips differed
    (e.g. the paper LSTM's random 70/20/10 split against the ear's stratified one), so the table has no row for it."""
    notes = {}
    for r in per_seed:
        for k in r.get("unpaired_arms", ()):
            if not any(k in o.get("vs_arms", {}) for o in per_seed if o["cell"] == r["cell"]):
                notes[r["cell"], k] = (f"{r['cell']} is not compared with the {model_name(k)}: they were tested on "
                                       f"different clips (different splits); give both the same split to pair them.")
    return list(notes.values())


def gan_rows(record: dict) -> list[dict]:
    """One row per finished GAN run of the experiment: its TSTR (with the real-trained accuracy) and both C2STs
    (``c2st_embedding`` is None for runs measured before it existed)."""
    rows = []
    for key, gan_id in sorted(record.get("gans", {}).items()):
        res = runs.result(gan_id) if finished(gan_id) else None
        if not res or "tstr" not in res:
            continue
        t, c, e = res["tstr"], res["c2st"], res.get("c2st_embedding")
        rows.append({"gan": key.split("/")[0], "seed": int(key.split("/")[1]), "tstr": t["accuracy"],
                     "tstr_lo": t["ci95"][0], "tstr_hi": t["ci95"][1], "real": t["real_accuracy"],
                     "ratio": t["ratio"], "c2st": c["accuracy"], "c2st_lo": c["ci95"][0], "c2st_hi": c["ci95"][1],
                     "c2st_embedding": e and e["accuracy"], "run_id": gan_id})
    return rows


def table(exp_id: str) -> dict:
    """The experiment's table from its finished child runs: per-seed rows, summary, paired differences,
    and the GAN runs' own measures."""
    record = runs.load(exp_id)
    rows = per_seed_rows(record)
    return {"per_seed": rows, **summarise(rows), "gan_quality": gan_rows(record), "cells_done": len(rows),
            "cells_total": len(cells(record["config"])), "measured_on": measured_on(record)}


def measured_on(record: dict) -> str:
    """Dataset, how each arm splits it, and the seeds: 'demo; paper LSTM: the study's random 70/20/10 split, …'."""
    p = record["config"]
    arms = "; ".join(f"{model_name(preset)}: {splits.KINDS[arm_config(p, preset, p['seeds'][0]).split]}"
                     for preset, _ in p["arms"])
    return (f"{record['dataset']['name']}; {arms}; a new split and initialisation per seed "
            f"(seeds {p['seeds'][0]}–{p['seeds'][-1]})")
