"""Where and how torch computes: the device, a one-thread section for work beside a training job, and the
allocator setting that lets a training reuse the memory of its freed tensors."""

import ctypes
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


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
KEEP_BYTES = 1 << 30


def reuse_freed_memory() -> bool:
    """Let this process keep freed blocks of up to :data:`KEEP_BYTES` for its next allocations (glibc's malloc).

    By default glibc maps every block above 32 MB afresh and returns it to the system when freed, so
    each new tensor of that size (the paper GAN's 1024 x 22272 weight gradient, 91 MB; the classifier's
    convolution activations on 174 unpooled frames, 91 MB a batch) costs a page fault per 4 kB: measured
    on this 2-core CPU, one thread, a paper-GAN epoch took 2.6 s with them and 1.5 s without, the
    same numbers either way. The price is memory: freed blocks stay with the process, and small
    allocations landing in them fragment the heap (peak RSS of that fit 1074 -> 1320 MB). The setting
    holds for the process (a worker exits when idle); returns whether the allocator took it (False
    where malloc is not glibc's).
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_BYTES))
