"""How the OpenMP threads of the processes GenreLab starts wait for work: asleep, not spinning."""

from __future__ import annotations

from typing import MutableMapping

WAIT_POLICY = "OMP_WAIT_POLICY"


def passive_wait(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """``env`` with ``OMP_WAIT_POLICY=PASSIVE`` unless it already names a policy (a user's own wins); returns ``env``.

    Torch's intra-op threads are libgomp's. By default a thread with nothing to do spins for a while before it
    sleeps; on a 2-core machine where the browser or the Streamlit server holds the other core, a two-thread
    training then spends its time spinning against them. Measured on one epoch of 300 random 30 s clips, two
    threads, load 3-7 (2026-12-07): recommended preset 10.6-145 s default against 15-17 s passive (paper preset
    6.4-31 s against 8.8-11.4 s); with a busy loop holding one core, 189 s against 22 s (paper 51 s against 14 s).
    Alone on two idle cores (load 1.2-1.4, three runs each, 15:07 UTC) it costs: recommended 11.4-13.4 s default
    against 14.5-16.4 s passive (paper 6.5-7.0 against 7.9-8.0 s), ~25 %; ``GOMP_SPINCOUNT=200000`` matched the
    default there but not beside a busy loop (58 s against passive's 5.7 s and the default's 40 s, 431-frame clips).
    A classroom's trainings share the cores with a browser and a server, and a lesson's with its second training. The thread count is unchanged, so the sums
    and the trained weights are bit for bit the same.

    libgomp reads the variable once, when torch loads it: set it before ``import torch``, or in a child's env.
    """
    env.setdefault(WAIT_POLICY, "PASSIVE")
    return env
