"""Where and on how many threads torch runs: resolved per call, never stored."""

from __future__ import annotations

import os
from contextlib import contextmanager

import torch

DEVICE_CHOICES = "'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device"


def resolve_device(device):
    """``'auto'`` becomes ``'cuda'`` when a GPU is visible, else ``'cpu'``."""
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def check_device(device) -> None:
    """Raise a ValueError naming the problem for a device torch does not know."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return
    try:
        torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be {DEVICE_CHOICES}; got {device!r}.") from exc


def resolve_num_threads(num_threads) -> int:
    """``'auto'``: half the CPU cores (at least 1, at most 8), never more than torch has.

    torch's default of one thread per core oversubscribes machines that also run
    joblib workers or other processes; a small MLP gains little from more threads
    (measured: seconds with 1 thread, over ten minutes with 2 threads on 2 busy cores).
    Within a joblib/loky worker, torch already starts with the worker's share.
    """
    if num_threads == "auto":
        half = max(1, min(8, (os.cpu_count() or 1) // 2))
        return max(1, min(half, torch.get_num_threads()))
    return int(num_threads)


def check_num_threads(num_threads) -> None:
    if num_threads is None or num_threads == "auto":
        return
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"num_threads must be 'auto', None or an int >= 1; got {num_threads!r}.")


@contextmanager
def torch_threads(num_threads):
    """Run the block with ``num_threads`` intra-op threads, then restore the old count.

    ``None`` leaves torch's setting alone.
    """
    if num_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    wanted = resolve_num_threads(num_threads)
    if wanted != previous:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        if wanted != previous:
            torch.set_num_threads(previous)


class DeviceParameter:
    """The ``device`` parameter: the user's value for ``get_params``, a device elsewhere.

    skorch reads ``self.device`` wherever it places a module or a tensor (``forward``,
    ``evaluation_step``, ``get_loss``, ``load_params``...), and ``"auto"`` is not a torch
    device. So every attribute read returns the resolved device: the one pinned at
    initialisation (`pin_device`), or a fresh resolution before that. The value the
    user set is kept in the instance ``__dict__``, where `requested_device` reads it
    for ``get_params`` and ``clone``. Setting the attribute drops the pinned device.
    """

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        state = obj.__dict__
        if "_device_pinned" in state:
            return state["_device_pinned"]
        return resolve_device(state.get("device", "auto"))

    def __set__(self, obj, value):
        obj.__dict__["device"] = value
        obj.__dict__.pop("_device_pinned", None)


def requested_device(obj):
    """The ``device`` value the user gave (e.g. ``"auto"``)."""
    return obj.__dict__.get("device", "auto")


def pin_device(obj, device=None) -> None:
    """Resolve ``obj``'s requested device once (or pin ``device``); reads return it."""
    obj.__dict__["_device_pinned"] = (
        resolve_device(requested_device(obj)) if device is None else device
    )
