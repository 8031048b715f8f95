"""Which trained classifiers Predict can offer, in which order, how each is listed beside its figures, and which
one it offers first for the active dataset (:func:`default_model`: the one that generalises best)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..base import catalog
from ..base.percent import with_interval
from ..base.usertext import as_markdown
from ..storage import runs
from .conclusions import overlap


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


def collection(check: dict) -> tuple[str, str]:
    """The collection a check was measured on: its name and content fingerprint."""
    return check["dataset"]["name"], check["dataset"].get("fingerprint", "")


def real_checks(run_id: str) -> list[dict]:
    """Run ``run_id``'s newest check on each collection of real music (the catalog's synthetic sets left out: a
    model's accuracy on generated clips says nothing of real music), the most accurate first, the newest among
    equals (:func:`core.storage.runs.checks`)."""
    newest: dict[tuple[str, str], dict] = {}
    for check in runs.checks(run_id):
        if not catalog.is_synthetic(check["dataset"]["name"]):
            newest.setdefault(collection(check), check)
    return sorted(newest.values(), key=lambda c: -c["accuracy"]["value"])


def best_check(run_id: str) -> dict | None:
    """The first of :func:`real_checks`, or None when the run was never checked on real music."""
    return next(iter(real_checks(run_id)), None)


def check_figure(check: dict) -> str:
    """'56 % (95 % CI 48–64 %) of 147 clips of musifeast-7': a check's accuracy with its interval, on what."""
    return f"{with_interval(check['accuracy'])} of {check['accuracy']['n']} clips of {check['dataset']['name']}"


def model_label(record: dict) -> str:
    """How a model is listed: its name, what it was trained on, its test accuracy and beside it every
    accuracy measured on another collection (or that there is none yet), each with its interval, and when it was
    made."""
    acc = runs.result(record["id"])["accuracy"]
    checked = "".join(f" · {with_interval(c['accuracy'])} on {c['dataset']['name']}"
                      for c in runs.checks(record["id"]))
    return (f"{record['name']} · trained on {record['dataset']['name']} · {with_interval(acc)} test accuracy"
            f"{checked or ' · not checked on another collection'} · "
            f"{time.strftime('%d %b %H:%M', time.localtime(record['created']))}")


def real_music_line(record: dict) -> str:
    """One sentence under a prediction: how often this model was right on each collection of real music it was
    checked on (:func:`real_checks`), beside its own test accuracy, all with their intervals; or that nobody has
    measured it yet."""
    own = with_interval(runs.result(record["id"])["accuracy"])
    checks = real_checks(record["id"])
    if not checks:
        return (f"On real music from another collection: not measured yet (its {own} is on held-out clips of "
                f"{record['dataset']['name']}; 'Check on another dataset' on the Train or Compare page measures it).")
    return (f"On real music from another collection this model was right on "
            f"{' and on '.join(check_figure(c) for c in checks)}; on held-out clips of its own collection "
            f"({record['dataset']['name']}) on {own}.")


@dataclass(frozen=True)
class DefaultModel:
    """The model Predict offers first for a dataset (:func:`default_model`) and why, in one sentence of Markdown
    (user text in it escaped, :func:`core.base.usertext.as_markdown`)."""

    run_id: str
    reason: str


def point_estimate(best: dict, rival: dict | None, same_clips: bool) -> str:
    """'' when accuracy ``best`` clearly beats the next best, ``rival`` (None: there is none), on the same clips;
    else the words that say the choice is by point estimate, and why."""
    if rival is None:
        return ""
    why = ([] if same_clips else ["the two were measured on different clips"]) + (
        [f"its interval overlaps the next best's, {with_interval(rival)}"] if overlap(best, rival) else [])
    return f"; chosen by point estimate: {' and '.join(why)}" if why else ""


def best_checked(group: list[str]) -> tuple[str, str] | None:
    """The run of ``group`` that did best on real music from another collection and the words that say so, or None
    when none was checked there. Runs are compared on the collection most of them were checked on, so on the same
    clips; only when no two share one, on each run's best collection."""
    found: dict[tuple[str, str], list[tuple[str, dict]]] = {}
    for run_id in group:
        for check in real_checks(run_id):
            found.setdefault(collection(check), []).append((run_id, check))
    if not found:
        return None
    shared = max(found.values(), key=len)
    same = len(shared) > 1
    ranked = sorted(shared if same else [(i, c[0]) for i in group if (c := real_checks(i))],
                    key=lambda ic: -ic[1]["accuracy"]["value"])
    (run_id, check), rival = ranked[0], ranked[1][1] if len(ranked) > 1 else None
    where = (f"the best of {len(ranked)} models checked on {check['dataset']['name']}" if same else
             f"the best of {len(ranked)} models checked on real music from other collections" if rival else
             "the only model checked on real music from another collection")
    note = point_estimate(check["accuracy"], rival and rival["accuracy"], same)
    return run_id, f"{where}: right on {check_figure(check)}{note}"


def best_tested(group: list[str]) -> tuple[str, str]:
    """The run of ``group`` (not empty) most accurate on its own held-out test clips, the newest among equals, and
    the words that say so."""
    results = {i: runs.result(i) for i in group}
    ranked = sorted(group, key=lambda i: -results[i]["accuracy"]["value"])
    best, rival = ranked[0], ranked[1] if len(ranked) > 1 else None
    own = results[best]["accuracy"]
    same = rival is not None and (runs.load(best)["dataset"].get("fingerprint") ==
                                  runs.load(rival)["dataset"].get("fingerprint")
                                  and set(results[best].get("keys", ())) == set(results[rival].get("keys", ())))
    note = point_estimate(own, rival and results[rival]["accuracy"], same)
    return best, f"the most accurate on held-out clips of its own collection: {with_interval(own)} of {own['n']}{note}"


def default_model(models: dict[str, dict], active: str) -> DefaultModel:
    """The model that generalises best for dataset ``active``, among the first group of :func:`model_order`
    (models trained on ``active``; else, for real music, on other real recordings):

    1. the finished run that did best on real music from another collection (:func:`best_checked`);
    2. else the newest finished pretrained-ear run (a frozen network that heard a million songs carries over to
       other recordings better than a model learnt from a few clips);
    3. else the finished one most accurate on its own held-out test clips, the newest among equals (the first of
       :func:`model_order` when none has finished): the study's paper LSTM is never preferred to a better recipe
       only because it finished last (:func:`best_tested`).

    Where the winner's interval overlaps the next best's, or the two were measured on different clips, the reason
    says the choice is by point estimate. ``models`` is :func:`model_runs`' mapping (newest first) and must not be
    empty.
    """
    order = model_order(models, active)
    first = _rank(models[order[0]], active)
    group = [i for i in order if _rank(models[i], active) == first and models[i]["status"] == "done"]
    chosen = best_checked(group)
    if chosen:
        run_id, why = chosen
        return DefaultModel(run_id, f"Chosen by default: **{as_markdown(models[run_id]['name'])}**, "
                                    f"{as_markdown(why)}.")
    pretrained = [i for i in group if "ear" in models[i].get("config", {})]
    if pretrained:
        name = as_markdown(models[pretrained[0]]["name"])
        return DefaultModel(pretrained[0], f"Chosen by default: **{name}**, a pretrained "
                                           "ear: no model here has been checked on real music from another collection "
                                           "yet, and a network pretrained on a million songs usually carries over to "
                                           "music from elsewhere better than one learnt from a few clips.")
    if not group:
        return DefaultModel(order[0], f"Chosen by default: **{as_markdown(models[order[0]]['name'])}**, the newest: "
                                      "no model here has finished training.")
    best, why = best_tested(group)
    return DefaultModel(best, f"Chosen by default: **{as_markdown(models[best]['name'])}**, {as_markdown(why)}. No "
                              "model here has been checked on real music from another collection yet, and none is a "
                              "pretrained ear.")


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
