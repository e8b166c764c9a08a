"""How many threads skmi's native code runs on: one per process, on purpose.

Why one. The native thread pools that skmi's work runs in (torch's intra-op pool, the
OpenMP pool of scikit-learn's HistGradientBoosting and k-means, the BLAS under numpy
and scipy) start one thread per core and busy-wait at the end of each parallel region
until every sibling has arrived. On a machine where another process holds a core (a
notebook kernel, a second job, a test runner, joblib workers), one thread of the pool
waits for its time slice while the others spin: a call of seconds then takes minutes.
Measured on 2 cores, both busy with other processes: ``estimate_mi`` on a 1,000-row
table took over 900 s with the pools' defaults (a stack sample sat in
HistGradientBoosting's tree grower) and 17 s on one thread. A pool of one thread has
no sibling to wait for: it slows down only by the share of the core it gets.

Where more cores help, skmi gets them from processes (joblib, ``n_jobs=``, which also
reaches a Dask cluster through joblib's backend): its parallel work is independent fits
(folds, candidates, column sets) that need no barrier between them.

What the policy does, in every public entry point (`limited_threads`):

* the OpenMP and BLAS pools (threadpoolctl) and torch's intra-op pool run on one thread
  for the duration of the call; a pool already limited to fewer threads by the caller
  (threadpoolctl, ``torch.set_num_threads``, an outer joblib worker) stays as it is;
* the caller's settings are restored when the call returns or raises;
* nested entry points (``estimate_mi`` fitting ``MIClassifier``\\ s, a scorer inside a
  grid search) enter the limits once: the inner ones only set torch's count where an
  explicit ``num_threads`` asks for another;
* joblib tasks run under the same limits inside their worker (`parallel`), whatever
  the worker inherited;
* ``MIClassifier(num_threads=k)`` sets torch's pool to exactly ``k`` (a user's explicit
  choice, e.g. on an idle machine with large data); ``num_threads=None`` leaves every
  pool as the caller set it.
"""

from __future__ import annotations

import functools
import sys
import threading
from contextlib import contextmanager

import torch
from joblib import Parallel, delayed
from threadpoolctl import ThreadpoolController

# The thread count of every native pool inside skmi's calls ("auto"): see the module's
# docstring for why it is one.
DEFAULT_THREADS = 1

# Per Python thread: how many limited_threads blocks are open (OpenMP's thread count is
# a per-thread setting, and joblib's threading backend runs tasks in other threads).
_state = threading.local()


def resolve_num_threads(num_threads) -> int:
    """Torch's intra-op threads for a ``num_threads`` parameter: ``"auto"`` is
    ``DEFAULT_THREADS`` (never more than the caller allows); an int is itself."""
    if num_threads == "auto":
        return max(1, min(DEFAULT_THREADS, torch.get_num_threads()))
    return int(num_threads)


def check_num_threads(num_threads) -> None:
    if num_threads is None or num_threads == "auto":
        return
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"num_threads must be 'auto', None or an int >= 1; got {num_threads!r}.")


def _depth() -> int:
    return getattr(_state, "depth", 0)


@contextmanager
def limited_threads(num_threads="auto"):
    """Run the block under skmi's thread policy (see the module's docstring), then
    restore the caller's settings.

    ``num_threads``: torch's intra-op threads (``"auto"``: the policy's; an int: that
    many); None leaves every pool alone.
    """
    if num_threads is None:
        yield
        return
    wanted = resolve_num_threads(num_threads)
    previous = torch.get_num_threads()
    outermost = _depth() == 0
    _state.depth = _depth() + 1
    try:
        if outermost:
            # the OpenMP and BLAS pools of every loaded library (scikit-learn's,
            # numpy's and scipy's BLAS, torch's OpenMP runtime); on exit each gets its
            # own count back
            with _controller().limit(limits=DEFAULT_THREADS):
                yield from _with_torch_threads(wanted, previous)
        else:
            yield from _with_torch_threads(wanted, previous)
    finally:
        _state.depth -= 1


def _controller() -> ThreadpoolController:
    """threadpoolctl's view of the loaded pools. Building it scans every loaded library
    (2.6 ms, as much as a small prediction), so it is kept while no module has been
    imported since (a new extension module may bring a new pool: scikit-learn's OpenMP
    runtime loads with its first estimator that uses it)."""
    key = len(sys.modules)
    cached = getattr(_controller, "cached", None)
    if cached is None or cached[0] != key:
        _controller.cached = cached = (key, ThreadpoolController())
    return cached[1]


def _with_torch_threads(wanted: int, previous: int):
    if wanted == previous:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def limits_threads(function):
    """Decorate a public function: its whole call runs under `limited_threads`."""

    @functools.wraps(function)
    def limited(*args, **kwargs):
        with limited_threads():
            return function(*args, **kwargs)

    return limited


def _limited_task(function, *args, **kwargs):
    with limited_threads():
        return function(*args, **kwargs)


def parallel(function, tasks, n_jobs=None, *, on_done=None) -> list:
    """``[function(*task) for task in tasks]``, ``n_jobs`` at a time through joblib
    (its active backend: loky processes by default, Dask where ``joblib.parallel_config
    (backend="dask")`` says so); each task runs under `limited_threads` in its worker.
    ``n_jobs`` None or 1, or a single task: in this process, one after another.
    ``on_done()`` is called as each result arrives (a progress bar's tick)."""
    tasks = list(tasks)
    if n_jobs in (None, 1) or len(tasks) <= 1:
        results = (function(*task) for task in tasks)
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_limited_task)(function, *task) for task in tasks
        )
    out = []
    for result in results:
        out.append(result)
        if on_done is not None:
            on_done()
    return out
