"""Benchmark core.usecases.predict on a real 30 s GTZAN clip: warm prediction, saliency, model load, cold start.

Prints one JSON line per figure, e.g. ``{"figure": "warm_predict_30s_seconds", "value": 0.08, "target": "<= 0.5"}``.

    python bench/bench_predict.py [--epochs 2] [--repeats 9] [--cold-repeats 3] [--threads 0]

A 'recommended' classifier is trained on ../shared/data/gtzan-mini into a temporary GENRELAB_DATA_DIR
first (prediction time depends on the architecture, not on how well it learnt). Warm figures are medians
over ``--repeats`` calls in this process; cold figures run a fresh ``python -c`` that imports, loads the
model and predicts, timed by this process from spawn to exit (interpreter start-up included), with the
child's own split into imports, model load and prediction. The 1-minute load average and core count are
printed in every line: other work on the machine slows every figure. Without gtzan-mini a single line
says the benchmark was skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import emit, settle  # noqa: E402

GTZAN_MINI = ROOT.parent / "shared" / "data" / "gtzan-mini"
CLIP = GTZAN_MINI / "blues" / "blues.00000.wav"

COLD = """
import json, time
t0 = time.perf_counter()
from core.usecases import predict
t1 = time.perf_counter()
predictor = predict.load_model({run_id!r})
t2 = time.perf_counter()
p = predict.predict({clip!r}, predictor)
t3 = time.perf_counter()
print(json.dumps({{"imports": t1 - t0, "load": t2 - t1, "predict": t3 - t2, "top": p.top(1)[0][0]}}))
"""


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def import_seconds(module: str, env: dict) -> dict[str, float]:
    """Cumulative import time (s) of torch, sklearn and ``module``, from ``python -X importtime -c 'import module'``.

    sklearn arrives through core.compute.train → core.base.splits; librosa loads its submodules lazily (at the first
    log-mel), so its cost shows in the first prediction instead.
    """
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stderr
    out = {}
    for line in err.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)$", line)
        if m and m.group(3) in ("torch", "sklearn", module):
            out[m.group(3)] = max(out.get(m.group(3), 0.0), int(m.group(1)) / 1e6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=2, help="training epochs of the benchmark model")
    ap.add_argument("--repeats", type=int, default=9, help="warm timing repeats")
    ap.add_argument("--cold-repeats", type=int, default=3, help="fresh-process repeats")
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0 = torch's default)")
    args = ap.parse_args()
    if not CLIP.is_file():
        emit("warm_predict_30s_seconds", None, "skipped", note=f"{CLIP} not found (only on project machines)")
        return

    with tempfile.TemporaryDirectory(prefix="genrelab-bench-predict-") as data:
        os.environ["GENRELAB_DATA_DIR"] = data
        bench(args, data)


def bench(args, data: str) -> None:
    """Train into ``data`` (the GENRELAB_DATA_DIR already set), then print every figure."""
    import torch

    from core.orchestration import classifier
    from core.usecases import predict, saliency
    from core.base.audio import decode
    from core.base.config import preset
    from core.compute.device import one_thread
    from core.compute.features import logmel
    from core.compute.train import predict_segments

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = preset("recommended", epochs=args.epochs)
    run_id = classifier.submit_classifier(cfg, GTZAN_MINI, "gtzan-mini", preset="recommended")
    settle()
    t0 = time.perf_counter()
    result = classifier.run_classifier(run_id)
    emit("train_seconds", time.perf_counter() - t0, timed=True,
         note=f"recommended preset, {args.epochs} epochs, gtzan-mini "
         f"(100 clips, feature extraction included); test accuracy {result['accuracy']['value']:.0%}")

    settle()
    t0 = time.perf_counter()
    predictor = predict.load_model(run_id)
    emit("load_model_seconds", time.perf_counter() - t0, timed=True,
         note="in-process, first load (torch already imported)")
    settle()
    emit("load_model_cached_seconds", median_time(lambda: predict.load_model(run_id), args.repeats), timed=True,
         note="cached per run id and model.pt mtime")

    clip = str(CLIP)
    p = predict.predict(clip, predictor)
    settle()
    warm = median_time(lambda: predict.predict(clip, predictor), args.repeats)
    emit("warm_predict_30s_seconds", warm, "<= 0.1", timed=True,
         note=f"decode + features + model, {len(p.segment_starts)} "
         f"segments of {p.segment_seconds:.2f} s, median of {args.repeats}; top {p.top(1)[0][0]} {p.top(1)[0][1]:.0%}")
    y = decode(clip, predictor.features.sr)
    S = logmel(y, predictor.features)
    x = torch.from_numpy(saliency.framed_inputs(predictor, S))
    settle()
    emit("warm_decode_30s_seconds", median_time(lambda: decode(clip, predictor.features.sr), args.repeats), timed=True)
    threads = torch.get_num_threads()
    with one_thread():
        settle()
        emit("warm_logmel_30s_seconds", median_time(lambda: logmel(y, predictor.features), args.repeats), timed=True,
             note="one torch thread (as predict runs it)")
        settle()
        emit("warm_model_30s_seconds", median_time(lambda: predict_segments(predictor.model, x), args.repeats),
             timed=True,
             note=f"{tuple(x.shape)} inputs, one torch thread (as predict runs it)")
    settle()
    emit("warm_model_30s_default_threads_seconds", median_time(lambda: predict_segments(predictor.model, x),
                                                               args.repeats), timed=True,
         note=f"the same with torch's {threads} threads, for comparison (not what predict does)")
    settle()
    emit("warm_saliency_30s_seconds", median_time(lambda: saliency.saliency(predictor, p), args.repeats), timed=True,
         note="gradient x input over every segment, mapped to the log-mel grid")
    raw = CLIP.read_bytes()
    settle()
    emit("warm_predict_30s_bytes_seconds", median_time(lambda: predict.predict(raw, predictor), args.repeats),
         timed=True, note="same clip given as uploaded bytes")

    env = {**os.environ, "GENRELAB_DATA_DIR": data}
    code = COLD.format(run_id=run_id, clip=clip)
    walls, parts, loads = [], [], []
    for _ in range(args.cold_repeats):
        loads.append(settle())
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True).stdout
        walls.append(time.perf_counter() - t0)
        parts.append(json.loads(out))
    pick = lambda key: statistics.median(q[key] for q in parts)  # noqa: E731
    emit("cold_predict_30s_seconds", statistics.median(walls), "<= 2", timed=True, load_before=max(loads),
         runs=[round(w, 2) for w in walls],
         note="fresh python -c: interpreter start + imports + load_model + predict, spawn to exit")
    emit("cold_imports_seconds", pick("imports"), timed=True, load_before=max(loads),
         note="'from core.usecases import predict' in the fresh process")
    emit("cold_load_model_seconds", pick("load"), timed=True, load_before=max(loads))
    emit("cold_predict_call_seconds", pick("predict"), timed=True, load_before=max(loads),
         note="first predict in a fresh process: includes librosa's lazy import of librosa.filters")
    settle()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "core", "predict", clip, "--run", run_id, "--json"], cwd=ROOT, env=env,
                   capture_output=True, check=True)
    emit("cold_cli_predict_seconds", time.perf_counter() - t0, timed=True,
         note="python -m core predict FILE --run ID --json")
    load = settle()  # one fresh process times every import
    for name, seconds in import_seconds("core.usecases.predict", env).items():
        emit(f"import_{name}_seconds", seconds, timed=True, load_before=load,
             note="cumulative, python -X importtime (one fresh process)")


if __name__ == "__main__":
    main()
