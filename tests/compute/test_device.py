import ctypes
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


class MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2``: the allocator's own counts, in bytes."""
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]


def test_a_large_tensor_comes_from_the_heap_and_its_memory_stays_there_when_freed():
    mallinfo2 = getattr(ctypes.CDLL(None), "mallinfo2", None)
    if mallinfo2 is None or not reuse_freed_memory():
        pytest.skip("malloc is not glibc's")
    mallinfo2.restype = MallInfo2
    before = mallinfo2()
    x = torch.empty(25_000_000).fill_(1.0)  # 100 MB: glibc's default maps it afresh, and unmaps it when freed
    during = mallinfo2()
    del x
    after = mallinfo2()
    assert during.hblkhd == before.hblkhd  # no block of its own mapped for it
    assert after.arena >= during.arena >= 100_000_000  # and the heap keeps its memory for the next one
