"""bench/common.py's thread pinning: a reference library timed beside ours runs on as many threads as ours."""

import sys
from pathlib import Path

import scipy.optimize  # noqa: F401  its OpenBLAS, which librosa's mel_to_audio runs on, is loaded before the pin
import torch
from threadpoolctl import threadpool_info

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import common  # noqa: E402


def test_pinning_threads_reaches_the_blas_and_openmp_pools_not_only_torch():
    threads = torch.get_num_threads()
    try:
        with common.pin_threads(1):
            pinned = {p["filepath"]: p["num_threads"] for p in threadpool_info()}
            assert torch.get_num_threads() == 1
            assert any(p["user_api"] == "blas" and "scipy" in p["filepath"] for p in threadpool_info())
            assert set(pinned.values()) == {1}, pinned
            assert common.pools() and all(part.endswith(" 1") for part in common.pools().split(", "))
    finally:
        torch.set_num_threads(threads)
