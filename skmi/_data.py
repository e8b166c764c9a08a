"""Batch iterators for in-memory arrays: index slices instead of per-sample collation.

skorch's default ``DataLoader`` fetches and collates each sample of a batch one by one,
which for a small MLP costs more than the arithmetic. When the dataset is a skorch
``Dataset`` (or a ``Subset`` of one, from a validation split) over numpy arrays or
tensors, `ArrayBatches` gathers each batch with one indexing operation, on the
device where the arrays live (MIClassifier moves training data to the GPU once per fit
when they fit there, see `device_tensors`). Arrays that stay on the host are
gathered into pinned memory and copied asynchronously. Anything else (custom datasets,
dict inputs, DataLoader options such as ``num_workers``) goes through
``torch.utils.data.DataLoader`` unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, Subset


def _as_tensor(values):
    if torch.is_tensor(values):
        return values
    if isinstance(values, np.ndarray) and values.dtype != object:
        return torch.from_numpy(np.ascontiguousarray(values))  # no copy when contiguous
    return None


def _in_memory(dataset):
    """(X, y, indices) tensors behind ``dataset``, or None when it is not that simple."""
    indices = None
    if isinstance(dataset, Subset):
        indices = torch.as_tensor(np.asarray(dataset.indices), dtype=torch.long)
        dataset = dataset.dataset
    if type(dataset) is not Dataset:
        return None
    X = _as_tensor(dataset.X)
    y = None if dataset.y is None else _as_tensor(dataset.y)
    if X is None or (dataset.y is not None and y is None):
        return None
    return X, y, indices


class ArrayBatches:
    """Iterate over ``(X_batch, y_batch)`` of an in-memory dataset.

    Parameters
    ----------
    dataset : torch Dataset
        Usually the skorch ``Dataset`` that the net builds from ``X, y``.
    batch_size : int, default=256
    shuffle : bool, default=False
        Draw a new permutation (on the CPU, from torch's global generator, which
        MIClassifier seeds from ``random_state``: the same batches on every device).
    device : str, torch.device or None, default=None
        Where batches are wanted. Host arrays bound for a CUDA device are gathered into
        pinned memory and copied with ``non_blocking=True``; arrays already on the
        device are sliced there. None yields batches where the arrays are.
    **loader_kwargs
        Any other option makes it fall back to ``DataLoader(dataset, ...)``.
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 256,
        shuffle: bool = False,
        device=None,
        **loader_kwargs,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.device = device
        self.loader_kwargs = loader_kwargs

    def __len__(self) -> int:
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        arrays = None if self.loader_kwargs else _in_memory(self.dataset)
        if arrays is None:
            loader = DataLoader(
                self.dataset, batch_size=self.batch_size, shuffle=self.shuffle, **self.loader_kwargs
            )
            yield from loader
            return
        X, y, indices = arrays
        target = None if self.device is None else torch.device(self.device)
        pin = target is not None and target.type == "cuda" and X.device.type == "cpu"
        n = len(indices) if indices is not None else len(X)
        order = torch.randperm(n) if self.shuffle else None
        if indices is not None:
            indices = indices.to(X.device)
        if order is not None:
            order = order.to(X.device)
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            if order is None and indices is None:
                rows = slice(start, stop)  # a view: prediction copies nothing
                X_batch, y_batch = X[rows], (None if y is None else y[rows])
            else:
                rows = (
                    order[start:stop]
                    if order is not None
                    else torch.arange(start, stop, device=X.device)
                )
                if indices is not None:
                    rows = indices[rows]
                X_batch = X.index_select(0, rows)
                y_batch = None if y is None else y.index_select(0, rows)
            if pin:
                X_batch = X_batch.pin_memory().to(target, non_blocking=True)
                if y_batch is not None:
                    y_batch = y_batch.pin_memory().to(target, non_blocking=True)
            yield X_batch, y_batch


def device_tensors(X: np.ndarray, y: np.ndarray, device, fraction: float = 0.5):
    """``(X, y)`` as tensors on a CUDA ``device`` when they take at most ``fraction`` of
    its free memory; None otherwise (the CPU, or data too large: batches then travel
    through pinned memory one at a time).
    """
    if device is None:  # skorch's "leave placement to me" (e.g. Accelerate)
        return None
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return None
    free, _ = torch.cuda.mem_get_info(device)
    if X.nbytes + y.nbytes > fraction * free:
        return None
    return (
        torch.from_numpy(np.ascontiguousarray(X)).to(device),
        torch.from_numpy(np.ascontiguousarray(y)).to(device),
    )
