"""Where torch runs: resolved per call, never stored (threads: `skmi._threads`)."""

from __future__ import annotations

import torch

DEVICE_CHOICES = "'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device"


def resolve_device(device):
    """``'auto'`` becomes ``'cuda'`` when a GPU is visible, else ``'cpu'``."""
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def check_device(device) -> None:
    """Raise a ValueError naming the problem for a device torch does not know, or one
    that this machine's torch cannot reach (a CUDA device on a CPU build of torch, an
    index past the GPUs it sees), with what torch sees."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be {DEVICE_CHOICES}; got {device!r}.") from exc
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} is not available: {_what_torch_sees()}. Use "
                "device='auto' (a GPU where torch sees one, else the CPU) or 'cpu'."
            )
        count = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= count:
            raise ValueError(
                f"device={device!r} is not available: torch sees {count} CUDA device(s), "
                f"cuda:0 to cuda:{count - 1}."
            )
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} is not available: torch sees no MPS device.")


def _what_torch_sees() -> str:
    if torch.version.cuda is None:
        return f"torch {torch.__version__} is a CPU-only build (torch.version.cuda is None)"
    return f"torch {torch.__version__} (built for CUDA {torch.version.cuda}) sees no CUDA device"


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
