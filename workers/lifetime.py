"""Processes that die with their parent, on Linux, by the parent-death signal (PR_SET_PDEATHSIG).

``kinga run`` starts each child with ``die_with_this_process()`` as its ``preexec_fn``, and an
RQ worker makes the processes it forks (its work horse and its scheduler) do the same, so that
a parent killed in any way, SIGKILL and the OOM killer included, takes everything under it
along and leaves no orphan. The kernel sends the signal: there is no watchdog process that
could itself be killed, and no need to signal a process group that may hold more than ours.
The signal is SIGTERM, so each child stops its own children cleanly.

Two caveats, handled here: the signal follows the death of the parent *thread* that forked the
child, so only a main thread should fork such children; and the parent may die between the fork
and the ``prctl`` call, so the child checks its parent afterwards and exits if it is gone.
Elsewhere than Linux there is no such signal and these functions do nothing.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
SIGNAL = signal.SIGTERM


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


# Looked up once, at import: nothing is loaded between a fork and an exec.
_prctl = _load_prctl()
_forking_parent = [0]


def die_with(parent: int, sig: signal.Signals = SIGNAL) -> None:
    """In a child just forked by ``parent``: get ``sig`` when ``parent`` dies."""
    if _prctl is None:
        return
    _prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)


def die_with_this_process() -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child dies with the calling process."""
    parent = os.getpid()
    return lambda: die_with(parent)


def forks_die_with_this_process() -> None:
    """From now on, every child this process forks dies with it."""
    os.register_at_fork(
        before=lambda: _forking_parent.__setitem__(0, os.getpid()),
        after_in_child=lambda: die_with(_forking_parent[0]),
    )
