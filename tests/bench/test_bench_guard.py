"""bench/common.py's load guard: a timed figure waits for a quiet machine or refuses it; accuracies are recorded."""

import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import common  # noqa: E402


@pytest.fixture
def machine(monkeypatch):
    """A fake 1-minute load: ``machine(3.0, 1.0)`` reads 3.0, then 1.0 ever after; sleeping costs no time."""
    for var in (common.MAX_LOAD, common.LOAD_WAIT, common.ALLOW_LOAD):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(common.MAX_LOAD, "1.5")
    monkeypatch.setattr(common, "_settled", None)
    clock = [0.0]
    monkeypatch.setattr(common.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(common.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))

    def set_loads(*loads):
        readings = list(loads)
        monkeypatch.setattr(common, "one_minute_load", lambda: readings.pop(0) if len(readings) > 1 else readings[0])
        return clock

    return set_loads


def test_a_load_above_the_threshold_stops_a_timed_figure(machine, capsys):
    clock = machine(3.2)
    with pytest.raises(SystemExit) as stop:
        common.settle()
    assert "1-minute load 3.2 > 1.5" in str(stop.value.code) and clock[0] == 180  # waited the default 3 minutes
    with pytest.raises(RuntimeError, match="settle"):  # and nothing can be timed without a settle()
        common.emit("x_seconds", 1.0, timed=True)
    assert capsys.readouterr().out == ""


def test_a_settling_machine_is_waited_for_and_the_figure_records_the_load_before(machine, capsys):
    clock = machine(2.4, 1.9, 1.2)
    assert common.settle() == 1.2 and clock[0] == 2 * common.POLL_SECONDS
    line = common.emit("x_seconds", 0.5, "<= 1", timed=True)
    assert line["timed"] and line["load_before"] == 1.2 and "under_load" not in line
    assert json.loads(capsys.readouterr().out) == line


def test_allow_load_records_the_figure_marked_under_load(machine, monkeypatch):
    monkeypatch.setenv(common.ALLOW_LOAD, "1")
    monkeypatch.setenv(common.LOAD_WAIT, "0")
    machine(4.0)
    assert common.settle() == 4.0
    assert common.emit("x_seconds", 0.5, timed=True)["under_load"] == 4.0


def test_a_timing_that_ends_above_the_threshold_is_marked_with_both_loads(machine):
    machine(1.2, 2.06)
    common.settle()
    line = common.emit("lesson_seconds", 217.1, timed=True)
    assert line["load_before"] == 1.2 and line["load_average"] == 2.06 and line["under_load"] == 2.06
    assert line["caveat"] == common.END_LOAD


def test_a_timing_names_the_cpu_it_ran_on_so_timings_from_different_machines_are_not_compared(machine,
                                                                                              monkeypatch):
    """Sessions run on different hosts whose virtual CPUs may share one model name: family, model and the widest
    vector unit tell them apart (the paper epoch's 6.43 s and 13.5 s were the same code on two machines)."""
    machine(1.0)
    common.settle()
    assert common.emit("epoch_seconds", 6.4, timed=True)["cpu"] == common.cpu()
    assert "cpu" not in common.emit("accuracy", 0.75)
    monkeypatch.setattr(common.os, "cpu_count", lambda: 2)

    def cpu_of(cpuinfo: str) -> str:
        monkeypatch.setattr(common, "open", lambda *args, **kwargs: io.StringIO(cpuinfo), raising=False)
        return common.cpu()

    xeon = "model name\t: Intel(R) Xeon(R) Processor\ncpu family\t: 6\nmodel\t\t: {}\nflags\t\t: fpu avx2 {}\n\n"
    assert cpu_of(xeon.format(143, "avx512f amx_tile") * 2) == (
        "2 x Intel(R) Xeon(R) Processor (family 6 model 143, AMX)")
    assert cpu_of(xeon.format(85, "avx512f")) == "2 x Intel(R) Xeon(R) Processor (family 6 model 85, AVX-512)"
    assert cpu_of("model name\t: AMD EPYC 7B13\ncpu family\t: 25\nmodel\t\t: 1\nflags\t\t: fpu avx avx2\n") == (
        "2 x AMD EPYC 7B13 (family 25 model 1, AVX2)")


def test_an_accuracy_figure_is_recorded_at_any_load_with_its_thread_count(machine):
    import torch

    machine(9.0)
    line = common.emit("accuracy", 0.75, ">= 0.5")
    assert line["value"] == 0.75 and line["load_average"] == 9.0 and "timed" not in line
    assert line["torch_threads"] == torch.get_num_threads()


def test_the_default_threshold_is_three_quarters_of_a_load_per_core(monkeypatch):
    monkeypatch.delenv(common.MAX_LOAD, raising=False)
    monkeypatch.setattr(common.os, "cpu_count", lambda: 2)
    assert common.max_load() == 1.5


def test_each_timed_figure_reads_the_load_just_before_it(machine, capsys):
    """Quiet before the first figure, busy before the second (the script's own server left the load up, or someone
    else started work): the first is recorded with its reading, the second waits, then stops the script."""
    clock = machine(1.0, 3.2)
    common.settle()
    first = common.emit("cold_start_seconds", 3.1, "<= 3", timed=True)
    with pytest.raises(RuntimeError, match="settle"):  # the first figure's reading cannot time the second
        common.emit("page_switch_seconds", 0.4, timed=True)
    with pytest.raises(SystemExit) as stop:
        common.settle()
    assert first["load_before"] == 1.0 and "1-minute load 3.2 > 1.5" in str(stop.value.code) and clock[0] == 180
    assert [json.loads(line)["figure"] for line in capsys.readouterr().out.splitlines()] == ["cold_start_seconds"]


def test_figures_of_one_timing_share_its_reading_by_passing_it(machine):
    machine(1.1, 0.9)
    load = common.settle()
    mean = common.emit("switch_mean_seconds", 0.4, timed=True, load_before=load)
    slowest = common.emit("switch_slowest_seconds", 0.9, timed=True, load_before=load)
    assert mean["load_before"] == slowest["load_before"] == 1.1
    assert common.settle() == 0.9 and common.emit("next_seconds", 1.0, timed=True)["load_before"] == 0.9
