"""What every bench script shares: one JSON line per figure, with the machine's load when it was measured.

    from common import emit, settle  # bench/ is on sys.path when a script in it runs
    settle()                         # before timing: wait for a quiet machine, or exit naming the load
    started = time.perf_counter(); make_demo_dataset()
    emit("demo_generation_seconds", time.perf_counter() - started, "<= 30", timed=True, clips=200)
    emit("demo_test_accuracy", 0.9)  # accuracy, counts, memory: recorded at any load

prints ``{"figure": ..., "value": ..., "target": ..., "load_average": <1-min load>, "torch_threads": <n>,
...extra}``. ``bench/run_all.py`` collects these lines into ``bench/results.json``. ``scratch_dir()`` is a
temporary folder (a bench's data folder) removed when the script exits.

A wall-clock figure taken while other work shares the cores compares with nothing, so :func:`settle` reads the
1-minute load before each timed measurement and refuses a busy machine. Each timed figure needs a settle of its own:
a reading is used up by the timed figure that records it, so a script cannot time a second figure on the reading it
took before the first (figures of one timing, e.g. a mean and its slowest run, pass that reading as ``load_before``).
The load is the whole machine's: a script stops its own servers and workers (or lets them go idle) before it
settles, and what they did decays out of the 1-minute average (by e^(-t/60): from 3 to 1.5 in about 40 s).
Its settings come from the environment (``run_all.py --allow-load/--max-load/--load-wait`` set them for every
script it runs):

- ``GENRELAB_BENCH_MAX_LOAD``: the highest 1-minute load a timing may start at (default 0.75 per core: 1.5 on two);
- ``GENRELAB_BENCH_LOAD_WAIT``: seconds to wait for the load to fall below it before giving up (default 180);
- ``GENRELAB_BENCH_ALLOW_LOAD=1``: time anyway; the figure carries ``under_load`` and README marks its row.
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import shutil
import sys
import tempfile
import time

MAX_LOAD, LOAD_WAIT, ALLOW_LOAD = "GENRELAB_BENCH_MAX_LOAD", "GENRELAB_BENCH_LOAD_WAIT", "GENRELAB_BENCH_ALLOW_LOAD"
POLL_SECONDS = 10.0

_settled: float | None = None
"""The load :func:`settle` last read (before the timing now under way), until a timed figure records it."""


def one_minute_load() -> float:
    """The machine's 1-minute load average (runnable processes; above the core count, work waits for a core)."""
    return round(os.getloadavg()[0], 2)


def max_load() -> float:
    """The highest 1-minute load a timed figure may start at (``GENRELAB_BENCH_MAX_LOAD``, else 0.75 per core)."""
    return float(os.environ.get(MAX_LOAD) or 0.75 * (os.cpu_count() or 1))


def settle() -> float:
    """Wait until the 1-minute load is at most :func:`max_load`, then return it; call it before each timing.

    Polls every 10 s for up to ``GENRELAB_BENCH_LOAD_WAIT`` seconds (default 180). If the load is still above
    the limit, the script exits with status 1 and a message naming the load, unless ``GENRELAB_BENCH_ALLOW_LOAD``
    is set: then the timing goes ahead and the figures :func:`emit` ``timed=True`` record ``under_load``.
    """
    global _settled
    limit, deadline = max_load(), time.monotonic() + float(os.environ.get(LOAD_WAIT) or 180)
    load = one_minute_load()
    while load > limit and time.monotonic() < deadline:
        print(f"1-minute load {load} > {limit}: waiting for the machine to settle", file=sys.stderr, flush=True)
        time.sleep(max(0.0, min(POLL_SECONDS, deadline - time.monotonic())))
        load = one_minute_load()
    if load > limit and not os.environ.get(ALLOW_LOAD):
        sys.exit(f"machine busy: 1-minute load {load} > {limit} after waiting; "
                 f"no timed figure recorded. Run again alone, or with {ALLOW_LOAD}=1 (run_all.py --allow-load) to "
                 f"record figures marked as measured under load")
    _settled = load
    return load


END_LOAD = ("started on a quiet machine; the load's rise during the timing counts the benchmark's own processes "
            "(server, browsers, worker) and possibly others")
"""The ``caveat`` of a timing marked under load by the load at its end only (its record holds both loads)."""


def cpu() -> str:
    """The CPU a timing ran on: ``"<logical CPUs> x <model name> (family F model M, <widest vector unit>)"`` from
    Linux's /proc/cpuinfo (a virtual machine may show only "Intel(R) Xeon(R) Processor"; family and model still
    tell the hosts apart), else the platform's processor name.

    Sessions run on different machines, and the same code times differently on them: the paper preset's epoch read
    6.43 s at 3a8ade9 and 13.5 s at 3fa6660, yet both commits take the same time side by side on one machine.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            first = info.read().split("\n\n")[0]
    except OSError:
        return f"{os.cpu_count()} x {platform.processor() or platform.machine()}"
    fields = dict(line.split(":", 1) for line in first.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    vector = next((name for flag, name in (("amx_tile", "AMX"), ("avx512f", "AVX-512"), ("avx2", "AVX2"))
                   if flag in flags), "no AVX2")
    return (f"{os.cpu_count()} x {fields.get('model name', platform.machine())} "
            f"(family {fields.get('cpu family', '?')} model {fields.get('model', '?')}, {vector})")


def emit(figure: str, value, target: str = "", timed: bool = False, load_before: float | None = None,
         **extra) -> dict:
    """Print one figure as a JSON line and return it.

    Floats are rounded to 4 significant digits. ``load_average`` is the 1-minute load at the moment of printing (it
    counts the bench's own threads); ``torch_threads`` is added when the script imported torch. A wall-clock figure
    passes ``timed=True``: it records the :func:`cpu` it ran on, ``load_before``, the load :func:`settle` read
    before the timing (or the one given, e.g. the highest over the runs a mean covers), and ``under_load`` when that
    or the load at the end of the timing exceeded :func:`max_load` (with a ``caveat`` saying which: a load that rose
    during the timing may be the benchmark's own servers, browsers and workers). A timed figure with no
    :func:`settle` of its own (none yet, or the last one already recorded by another timed figure) and no
    ``load_before`` is a programming error.
    """
    global _settled
    line = {"figure": figure, "value": float(f"{value:.4g}") if isinstance(value, float) else value, "target": target,
            "load_average": one_minute_load()}
    if "torch" in sys.modules:
        line["torch_threads"] = sys.modules["torch"].get_num_threads()
    if timed:
        before = _settled if load_before is None else load_before
        if before is None:
            raise RuntimeError(f"{figure} is a timed figure: call common.settle() just before timing it (the last "
                               f"reading was recorded by another figure), or pass load_before= for a shared timing")
        if load_before is None:
            _settled = None
        line.update(timed=True, load_before=before, cpu=cpu())
        if max(before, line["load_average"]) > max_load():
            line["under_load"] = max(before, line["load_average"])
    line.update(extra)
    if timed and before <= max_load() < line["load_average"]:
        line["caveat"] = "; ".join(filter(None, [line.get("caveat"), END_LOAD]))
    print(json.dumps(line), flush=True)
    return line


def emit_over_seeds(figure: str, accuracies: list[dict], seeds, target: str = "report", **extra) -> dict:
    """:func:`emit` an accuracy over several trainings, one per seed: ``value`` is the ``mean``, ``min`` and ``max``
    of ``accuracies`` (each ``{"value", "n", ...}``: a fraction over ``n`` clips), recorded with ``seeds``,
    ``per_seed`` (each seed's value, in the order of ``seeds``) and ``n``, the clips each seed was measured on (a
    list, one per seed, when they differ)."""
    values = [round(float(a["value"]), 3) for a in accuracies]
    clips = [int(a["n"]) for a in accuracies]
    return emit(figure, {"mean": round(sum(values) / len(values), 3), "min": min(values), "max": max(values)},
                target, seeds=list(seeds), per_seed=values, n=clips[0] if len(set(clips)) == 1 else clips, **extra)


def pin_threads(n: int):
    """Run the rest of the process on ``n`` threads: torch's intra-op pool (when torch is imported) and every BLAS
    and OpenMP pool loaded so far (numpy's and scipy's OpenBLAS, torch's OpenMP), through :mod:`threadpoolctl`, so
    a library timed beside ours (librosa calls numpy and scipy) runs on as many threads as ours. A pool loaded after
    this call is not pinned: import what the timing uses first. Returns the
    :func:`threadpoolctl.threadpool_limits` in force (leaving it as a context manager restores the pools, not
    torch's count)."""
    from threadpoolctl import threadpool_limits

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    return threadpool_limits(limits=n)


def pools() -> str:
    """'openblas 1, openblas 1, openmp 1': the threads of each BLAS and OpenMP pool loaded, for a figure's note."""
    from threadpoolctl import threadpool_info

    return ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info())


def scratch_dir(prefix: str = "genrelab-bench-") -> str:
    """A new temporary folder, removed with everything in it when the script exits.

    A bench's data folder holds its runs and feature cache (up to GBs); left behind, they filled /tmp.
    """
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
