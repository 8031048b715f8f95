import resource
import threading

import pytest
import torch

from core.compute.device import device, one_thread, reuse_freed_memory


def test_device_is_cpu_without_a_gpu():
    assert device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_one_thread_pins_torch_and_restores_even_on_error():
    before = torch.get_num_threads()
    seen = []
    try:
        with one_thread():
            seen.append(torch.get_num_threads())
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert seen == [1] and torch.get_num_threads() == before


def test_one_thread_callers_do_not_overlap():
    inside, overlap = [], []

    def work():
        with one_thread():
            overlap.append(len(inside))
            inside.append(1)
            threading.Event().wait(0.05)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlap == [0, 0, 0]


def test_a_freed_large_tensor_s_memory_serves_the_next_one_without_page_faults():
    if not reuse_freed_memory():
        pytest.skip("malloc is not glibc's")

    def faults_filling_a_fresh_100_mb_tensor() -> int:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        torch.empty(25_000_000).fill_(1.0)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    faults_filling_a_fresh_100_mb_tensor()
    assert faults_filling_a_fresh_100_mb_tensor() < 1000  # 24 400 pages of 4 kB when each block is mapped afresh
