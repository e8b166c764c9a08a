"""Loading saved parameters into an MIClassifier, also one that was never fitted.

skorch's ``load_params`` needs an initialised net of the right shape. An MIClassifier
with the default MLP is sized from data, so an unfitted one rebuilds the network from
the shapes in the saved state dict, and the class prior from the saved criterion. A
model saved on a GPU loads on a machine without one, with a warning, as skorch does
when it unpickles.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import torch
from skorch.exceptions import DeviceWarning

from skmi._encoding import encoder_from_bytes
from skmi._mlp import mlp_shape_from_state_dict
from skmi._runtime import requested_device

# The constructor parameters that fix the default MLP's saved shape, with their values
# for models saved before they existed.
_SAVED_SHAPE_PARAMS = {"n_members": 1, "num_embeddings": None, "input_scaling": "standard"}


class LoadParamsMixin:
    """``load_params`` for MIClassifier (see [`skorch.NeuralNet.load_params`](https://skorch.readthedocs.io/en/stable/net.html#skorch.net.NeuralNet.load_params))."""

    def load_params(
        self,
        f_params=None,
        f_optimizer=None,
        f_criterion=None,
        f_history=None,
        checkpoint=None,
        use_safetensors=False,
        **kwargs,
    ):
        """Load parameters saved by ``save_params``; see [`skorch.NeuralNet.load_params`](https://skorch.readthedocs.io/en/stable/net.html#skorch.net.NeuralNet.load_params).

        On an MIClassifier that was never fitted, the default MLP is rebuilt from the
        shapes in ``f_params``, and ``f_criterion`` (which holds the class prior) is
        required. Class labels are not part of the saved parameters: pass
        ``classes=`` to the constructor to get them back, else they are 0..K-1.
        """
        requested = requested_device(self)
        with self._runtime():
            if not getattr(self, "initialized_", False):
                self._fall_back_to_cpu_without_cuda()
                f_params, f_criterion = self._initialize_for_loading(
                    f_params, f_criterion, use_safetensors
                )
            super().load_params(
                f_params=f_params,
                f_optimizer=f_optimizer,
                f_criterion=f_criterion,
                f_history=f_history,
                checkpoint=checkpoint,
                use_safetensors=use_safetensors,
                **kwargs,
            )
            self._keep_requested_device(requested)
            if f_criterion is not None:
                prior = self.criterion_.log_prior.detach().to("cpu", torch.float64).exp()
                self.class_prior_ = (prior / prior.sum()).numpy()
                if not hasattr(self, "classes_inferred_") or len(self.classes_inferred_) != len(
                    self.class_prior_
                ):
                    self.classes_inferred_ = np.arange(len(self.class_prior_))
                encoding = getattr(self.criterion_, "table_encoding", None)
                if encoding is not None:  # fitted on a DataFrame: its encoding comes back
                    encoder = encoder_from_bytes(encoding)
                    self.table_encoder_ = encoder
                    self.n_features_in_ = encoder.n_features_in_
                    self.feature_names_in_ = encoder.feature_names_in_
        return self

    def _fall_back_to_cpu_without_cuda(self) -> None:
        # As skorch does when it unpickles or loads onto a machine without CUDA: a model
        # saved on a GPU must still load on a CPU-only machine, with a warning.
        device = self.device
        if device is not None and torch.device(device).type == "cuda":
            if not torch.cuda.is_available():
                warnings.warn(
                    f"device={device!r} was requested but CUDA is not available; "
                    "loading on the CPU instead.",
                    DeviceWarning,
                    stacklevel=3,
                )
                self.device = "cpu"

    def _initialize_for_loading(self, f_params, f_criterion, use_safetensors):
        if f_criterion is None:
            raise ValueError(
                "Loading into an unfitted MIClassifier needs f_criterion: the class prior "
                "the model was trained with is saved there (save_params(f_criterion=...))."
            )
        if self.module is None:
            if f_params is None:
                raise ValueError(
                    "Loading into an unfitted MIClassifier with the default MLP needs "
                    "f_params, from which the network's shape is read."
                )
            f_params = _rewindable(f_params)
            state = _read_state_dict(f_params, use_safetensors)
            shape = mlp_shape_from_state_dict(state)
            for name, default in _SAVED_SHAPE_PARAMS.items():
                saved, mine = shape[name], getattr(self, name, default)
                if saved != mine:
                    said = f"{saved} member(s)" if name == "n_members" else f"{name}={saved!r}"
                    raise ValueError(
                        f"The saved network has {said}; this MIClassifier has "
                        f"{name}={mine!r}. Create it with {name}={saved!r} to load these "
                        "parameters."
                    )
            if shape["n_embedded"] is not None:  # placeholders, filled by the loaded state
                self._embedded_features_ = np.arange(shape["n_embedded"])
            if shape["quantiles_shape"] is not None:
                self._feature_quantiles_ = np.zeros(shape["quantiles_shape"])
            self.n_features_in_ = shape["n_features"]
            self._hidden_layer_sizes_ = shape["hidden_layer_sizes"]
            self.class_prior_ = np.full(shape["n_classes"], 1.0 / shape["n_classes"])
        f_criterion = _rewindable(f_criterion)
        self.initialize()
        return f_params, f_criterion


def _rewindable(f):
    """File objects are read twice when loading: keep their bytes."""
    if hasattr(f, "read"):
        return io.BytesIO(f.read())
    return f


def _read_state_dict(f, use_safetensors: bool) -> dict:
    if use_safetensors:
        from safetensors.torch import load, load_file

        if isinstance(f, io.BytesIO):
            state = load(f.getvalue())
        else:
            state = load_file(f)
    else:
        state = torch.load(f, map_location="cpu", weights_only=True)
    if isinstance(f, io.BytesIO):
        f.seek(0)
    return state
