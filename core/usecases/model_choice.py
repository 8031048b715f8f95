"""Which trained classifiers Predict can offer, in which order, how each is listed beside its figures, and which
one it offers first for the active dataset (:func:`default_model`: the one that generalises best)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..base import catalog
from ..base.percent import with_interval
from ..base.usertext import as_markdown
from ..storage import runs
from .compare import check_accuracy


def model_runs(records: list[dict] | None = None) -> dict[str, dict]:
    """Run id → record of the classifier runs that have a tested model, in the order of ``records``.

    A tested model is a ``done`` run's, or a ``cancelled`` run's last saved epoch, which it tested
    before stopping; either has ``model.pt`` and ``result.json``. ``records`` defaults to every
    classifier run, newest first (:func:`core.storage.runs.list_runs`).
    """
    records = runs.list_runs("clf") if records is None else records
    return {r["id"]: r for r in records if r["status"] in ("done", "cancelled")
            and (runs.run_path(r["id"]) / "model.pt").exists() and runs.result(r["id"])}


def latest_run_id() -> str:
    """The newest ``done`` run of :func:`model_runs` whose model loads; raises :class:`~core.storage.runs.RunError`
    if none.

    Runs whose ``model.pt`` is corrupt or not finite are passed over; the error names them.
    """
    from .predict import load_model  # torch: the page lists models without it

    unusable = []
    for run_id, record in model_runs().items():
        if record["status"] == "done":
            try:
                return load_model(run_id).run_id
            except runs.RunError as err:
                unusable.append(str(err))
    if unusable:
        raise runs.RunError("no finished classifier run has a usable model: " + "; ".join(unusable))
    raise runs.RunError("there is no finished classifier run yet: train one first (python -m core train)")



def model_order(models: dict[str, dict], active: str) -> list[str]:
    """The run ids of ``models`` in the order to offer them for dataset ``active``: models trained on it
    first, then (when ``active`` is real music) those trained on other real recordings, then the rest;
    newest first within each."""
    return sorted(models, key=lambda run_id: _rank(models[run_id], active))


def _rank(record: dict, active: str) -> int:
    """0: trained on ``active``; 1: on other real recordings, ``active`` being real; 2: the rest."""
    name = record.get("dataset", {}).get("name", "")
    if name == active:
        return 0
    return 1 if not catalog.is_synthetic(active) and not catalog.is_synthetic(name) else 2


def best_check(run_id: str) -> dict | None:
    """Run ``run_id``'s check on another collection with the highest accuracy (the newest among equals), or None
    when it was never checked (:func:`core.storage.runs.checks`)."""
    return max(runs.checks(run_id), key=lambda c: c["accuracy"], default=None)


def check_figure(check: dict) -> str:
    """'56 % (95 % CI 48–64 %) of 147 clips of musifeast-7': a check's accuracy with its interval, on what."""
    return f"{with_interval(check_accuracy(check))} of {check['n']} clips of {check['dataset']['name']}"


def model_label(record: dict) -> str:
    """How a model is listed: its name, what it was trained on, its test accuracy and beside it every
    accuracy measured on another collection (or that there is none yet), and when it was made."""
    acc = runs.result(record["id"])["accuracy"]["value"]
    checked = "".join(f" · {c['accuracy'] * 100:.0f} % on {c['dataset']['name']}" for c in runs.checks(record["id"]))
    return (f"{record['name']} · trained on {record['dataset']['name']} · {acc * 100:.0f} % test accuracy"
            f"{checked or ' · not checked on another collection'} · "
            f"{time.strftime('%d %b %H:%M', time.localtime(record['created']))}")


def real_music_line(record: dict) -> str:
    """One sentence under a prediction: how often this model was right on music from another collection (its
    best check), beside its own test accuracy; or that nobody has measured it yet."""
    own = runs.result(record["id"])["accuracy"]
    check = best_check(record["id"])
    if check is None:
        return (f"On real music from another collection: not measured yet (its {100 * own['value']:.0f} % is on "
                f"held-out clips of {record['dataset']['name']}; 'Check on another dataset' on the Train or Compare "
                "page measures it).")
    return (f"On real music from another collection this model was right on {check_figure(check)}; on held-out "
            f"clips of its own collection ({record['dataset']['name']}) on {100 * own['value']:.0f} %.")


@dataclass(frozen=True)
class DefaultModel:
    """The model Predict offers first for a dataset (:func:`default_model`) and why, in one sentence of Markdown
    (user text in it escaped, :func:`core.base.usertext.as_markdown`)."""

    run_id: str
    reason: str


def default_model(models: dict[str, dict], active: str) -> DefaultModel:
    """The model that generalises best for dataset ``active``, among the first group of :func:`model_order`
    (models trained on ``active``; else, for real music, on other real recordings):

    1. the finished run with the highest accuracy measured on another collection (:func:`best_check`);
    2. else the newest finished pretrained-ear run (a frozen network that heard a million songs carries over to
       other recordings better than a model learnt from a few clips);
    3. else the finished one most accurate on its own held-out test clips, the newest among equals (the first of
       :func:`model_order` when none has finished): the study's paper LSTM is never preferred to a better recipe
       only because it finished last.

    ``models`` is :func:`model_runs`' mapping (newest first) and must not be empty.
    """
    order = model_order(models, active)
    first = _rank(models[order[0]], active)
    group = [i for i in order if _rank(models[i], active) == first and models[i]["status"] == "done"]
    checked = [(c["accuracy"], i, c) for i in group if (c := best_check(i)) is not None]
    if checked:
        _, run_id, check = max(checked, key=lambda t: t[0])
        others = f" the best of {len(checked)} checked models" if len(checked) > 1 else " the only checked model"
        return DefaultModel(run_id, f"Chosen by default: **{as_markdown(models[run_id]['name'])}**,{others} on "
                                    f"music from another collection: right on {as_markdown(check_figure(check))}.")
    pretrained = [i for i in group if "ear" in models[i].get("config", {})]
    if pretrained:
        name = as_markdown(models[pretrained[0]]["name"])
        return DefaultModel(pretrained[0], f"Chosen by default: **{name}**, a pretrained "
                                           "ear: no model here has been checked on another collection yet, and a "
                                           "network pretrained on a million songs usually carries over to music "
                                           "from elsewhere better than one learnt from a few clips.")
    if not group:
        return DefaultModel(order[0], f"Chosen by default: **{as_markdown(models[order[0]]['name'])}**, the newest: "
                                      "no model here has finished training.")
    best = max(group, key=lambda i: runs.result(i)["accuracy"]["value"])
    own = runs.result(best)["accuracy"]
    return DefaultModel(best, f"Chosen by default: **{as_markdown(models[best]['name'])}**, the most accurate on "
                              f"held-out clips of its own collection ({100 * own['value']:.0f} % of {own['n']}): no "
                              "model here has been checked on another collection yet, and none is a pretrained ear.")


def training_note(record: dict, result: dict) -> tuple[bool, str]:
    """What a classifier run was trained on, and what that means for a real recording.

    Returns ``(synthetic, sentence)``: ``synthetic`` is True for a model that never heard real music.
    """
    data = record.get("dataset", {})
    labels = data.get("labels") or result.get("labels", [])
    acc, synthetic = result["accuracy"], catalog.is_synthetic(data.get("name", ""))
    measured = (f"its test accuracy, {with_interval(acc)}, was "
                f"measured on {acc['n']} held-out clips of the same {'set' if synthetic else 'collection'}")
    if synthetic:
        return True, (f"This model was trained on the synthetic demo set ({data.get('n_clips', '?')} generated clips "
                      f"of {len(labels)} made-up genre styles) and has never heard a real recording; {measured}. "
                      "Expect a real song to get a wrong genre most of the time: use it to see how the model "
                      "listens, not to learn the song's genre.")
    return False, (f"This model was trained on {data.get('name', '?')} ({data.get('n_clips', '?')} real clips of "
                   f"{len(labels)} genres: {', '.join(labels)}); {measured}. A recording from elsewhere (another "
                   "era, studio or microphone) usually scores lower, and a genre outside these "
                   f"{len(labels)} can only be answered with the nearest of them.")
