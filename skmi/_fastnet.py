"""A skorch classifier made fast and scikit-learn-clean, the base of MIClassifier.

skorch's NeuralNetClassifier is general; a small MLP on in-memory arrays pays for that
generality in Python overhead at every step. This base keeps skorch's API and changes
how it runs:

* batches are index slices of in-memory arrays (`ArrayBatches`),
  training data go to the GPU once per fit, prediction uses wide batches;
* modules switch train/eval mode only when their mode differs;
* on CUDA, batch losses stay on the device and reach the history once per epoch;
* ``precision="bf16"`` runs the forward pass under autocast;
* ``device="auto"`` is resolved once at initialisation, and each call runs under skmi's
  thread policy (`skmi._threads`, torch on ``num_threads``);
* ``__init__`` stores parameters only and ``get_params`` lists only parameters, as
  scikit-learn expects.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.dataset import get_len

from skmi._data import ArrayBatches, device_tensors
from skmi._runtime import (
    DeviceParameter,
    pin_device,
    requested_device,
    resolve_device,
)
from skmi._threads import limited_threads


class FastNeuralNetClassifier(NeuralNetClassifier):
    """skorch's NeuralNetClassifier with fast batching, a resolved device and threads.

    Parameters
    ----------
    module, *args, **kwargs
        As for [`skorch.NeuralNetClassifier`](https://skorch.readthedocs.io/en/stable/classifier.html#skorch.classifier.NeuralNetClassifier).
    num_threads : "auto", int or None, default="auto"
        torch intra-op threads while fitting and predicting, under skmi's thread policy
        (`skmi._threads`; restored afterwards).
    precision : {"float32", "bf16"}, default="float32"
        ``"bf16"`` runs the forward pass under ``torch.autocast`` with bfloat16.
    """

    # "auto" for get_params, a torch device for every other read (see DeviceParameter)
    device = DeviceParameter()
    # skorch's fitted state, until initialize() sets it on the instance
    initialized_ = False
    history_ = None

    def __init__(self, module, *args, num_threads="auto", precision="float32", **kwargs):
        super().__init__(module, *args, **kwargs)
        self.num_threads = num_threads
        self.precision = precision
        # skorch's __init__ also sets its fitted state (history_, initialized_,
        # virtual_params_); scikit-learn's __init__ stores parameters only. The class
        # attributes below stand in for that state until initialize() sets it.
        for name in ("history_", "initialized_"):
            vars(self).pop(name, None)

    @property
    def virtual_params_(self) -> dict:
        return self.__dict__.setdefault("_virtual_params", {})

    @virtual_params_.setter
    def virtual_params_(self, value) -> None:
        self.__dict__["_virtual_params"] = value

    # ------------------------------------------------------------------ sklearn glue
    def _get_param_names(self):
        # skorch lists every public entry of __dict__; its private bookkeeping
        # (_params_to_validate, the pinned device...) is not a parameter.
        return [name for name in super()._get_param_names() if not name.startswith("_")]

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        if "device" in params:
            params["device"] = requested_device(self)  # "auto" stays "auto"
        return params

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.non_deterministic = False
        return tags

    def set_params(self, **kwargs):
        # skorch builds callbacks as soon as callback parameters are set, so a wrong value
        # raises here; scikit-learn expects validation to wait for fit. Before the net is
        # initialised, store them: initialize() (in fit) builds the callbacks from them.
        callback_params = {k: v for k, v in kwargs.items() if k.startswith("callbacks")}
        if callback_params and not getattr(self, "initialized_", False):
            others = {k: v for k, v in kwargs.items() if k not in callback_params}
            if others:
                super().set_params(**others)
            vars(self).update(callback_params)
            self._params_to_validate.update(callback_params)
            return self
        return super().set_params(**kwargs)

    # ------------------------------------------------------------------ runtime
    @contextmanager
    def _runtime(self):
        """Run the block under skmi's thread policy (`skmi._threads`), torch on the
        threads of ``num_threads``."""
        with limited_threads(self.num_threads):
            yield

    @contextmanager
    def _seeded(self, seed):
        """Seed torch inside the block without touching the caller's global RNG."""
        if seed is None:
            yield
            return
        devices = []
        if torch.cuda.is_available() and str(self.device).startswith("cuda"):
            devices = [torch.cuda.current_device()]
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield

    def __setstate__(self, state):
        # A model pickled before a parameter existed gets that parameter's default.
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if param.default is not inspect.Parameter.empty and name not in state:
                state[name] = param.default
        # skorch maps saved tensors to state["device"]: give it this machine's resolution
        # of the requested device, not the one pinned where the model was saved.
        requested = state.get("device", "auto")
        state.pop("_device_pinned", None)
        state["device"] = resolve_device(requested)
        super().__setstate__(state)
        self._keep_requested_device(requested)

    def _keep_requested_device(self, requested) -> None:
        # skorch sets self.device to where it put the tensors (the CPU, with a
        # DeviceWarning, when CUDA is gone): pin that, and keep "auto" as the parameter.
        landed = self.__dict__["device"]
        if isinstance(requested, str) and requested == "auto":
            self.__dict__["device"] = "auto"
        pin_device(self, landed)

    def initialize(self):
        pin_device(self)
        with self._runtime():
            return super().initialize()

    def get_dataset(self, X, y=None):
        # Training arrays go to the GPU once per fit (when they fit), so that batches are
        # sliced there instead of copied host -> device at every step. Prediction (y is
        # None) streams batches, keeping device memory bounded by the batch.
        if y is not None and isinstance(X, np.ndarray) and isinstance(y, np.ndarray):
            moved = device_tensors(X, y, self.device)
            if moved is not None:
                return super().get_dataset(*moved)
        return super().get_dataset(X, y)

    def get_iterator(self, dataset, training=False):
        iterator = self.iterator_train if training else self.iterator_valid
        kwargs = self.get_params_for("iterator_train" if training else "iterator_valid")
        if training:
            kwargs.setdefault("shuffle", True)  # skorch's default is not to shuffle
        fast = isinstance(iterator, type) and issubclass(iterator, ArrayBatches)
        if "batch_size" not in kwargs:
            # prediction needs no gradient memory: larger batches, fewer Python round trips
            wide = not training and fast
            kwargs["batch_size"] = max(self.batch_size, 4096) if wide else self.batch_size
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        if fast:
            kwargs.setdefault("device", self.device)
        return iterator(dataset, **kwargs)

    def _set_training(self, training=True):
        # skorch calls this at every step, and Module.train walks every submodule: about
        # 4 % of a small MLP's fit on the CPU. Only modules whose mode differs need it.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and module.training != training:
                module.train(training)

    def _defers_loss_sync(self) -> bool:
        device = self.device
        return device is not None and torch.device(device).type == "cuda"

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None or not self._defers_loss_sync():
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        # skorch reads every batch's loss with .item(), a host-device synchronisation per
        # step that leaves a fast GPU idle. Here the batch losses stay on the device and
        # enter the history as floats once per epoch (same keys, same values); during
        # the epoch, on_batch_end callbacks see 0-d tensors.
        key = prefix + "_loss"
        losses, batches = [], []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            loss = step["loss"].detach()
            losses.append(loss)
            self.history.record_batch(key, loss)
            batches.append(self.history[-1]["batches"][-1])
            first = batch[0] if isinstance(batch, (tuple, list)) else batch
            self.history.record_batch(prefix + "_batch_size", get_len(first))
            self.notify("on_batch_end", batch=batch, training=training, **step)
        if losses:
            for record, value in zip(batches, torch.stack(losses).float().tolist(), strict=True):
                record[key] = value
        self.history.record(prefix + "_batch_count", len(losses))

    def infer(self, x, **fit_params):
        device = self.device
        # device=None leaves placement (and mixed precision) to the caller, e.g. Accelerate
        if self.precision == "bf16" and device is not None:
            device_type = torch.device(device).type
            with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
                return super().infer(x, **fit_params)
        return super().infer(x, **fit_params)
