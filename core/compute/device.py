"""Where and how torch computes: the device, and a one-thread section for work beside a training job."""

import threading
from contextlib import contextmanager

import torch

_THREADS = threading.Lock()


def device() -> torch.device:
    """CUDA where a GPU is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextmanager
def one_thread():
    """Run torch on one intra-op thread inside the block, then restore the previous count.

    One clip's LSTM is a chain of small matrix products, one per step; a second thread gains little
    and, when another process holds the other core (a training job on a 2-core machine), every step
    waits for it: measured 0.05 s on one thread against 0.3-4 s on two for a 30 s clip. The count is
    process-wide, so a lock keeps concurrent callers from restoring each other's value.
    """
    with _THREADS:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)
