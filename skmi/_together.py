"""Fitting many MIClassifiers (alone or at the end of a Pipeline) at once, as one
batched network (`skmi._batched`): estimate_mi's cross-fitting networks.

Each model is prepared exactly as its own ``fit`` would prepare it (the checks, the
prior, the input standardisation, the seeded initial weights and the stratified
validation split), the networks are trained together, and each model gets its trained
weights and its history back: afterwards it is an ordinary fitted model, read through
the same code as any other.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from skmi._batched import ELEMENTWISE_OPTIMIZERS, Member, train_members
from skmi._classifier import MIClassifier
from skmi._data import ArrayBatches
from skmi._finite import non_finite_message
from skmi._loss import PCSoftmaxLoss
from skmi._runtime import requested_device, resolve_device
from skmi._warnings import NonFiniteLossError, NonFiniteLossWarning

# Stacking holds every network's inputs at once (one networks at a time holds one); on
# the CPU that is held to this size: 10^5 rows x 50 features fit, 10^6 do not. Batching
# paid at every size measured below it (benchmarks/together.py).
CPU_MAX_STACK_BYTES = 512 * 2**20
# On a GPU, to this fraction of its free memory.
CUDA_MAX_STACK_FRACTION = 0.5


def network_of(model):
    """The MIClassifier a model is or ends in, if it can train in a batch; else None.

    Only what the batched trainer reproduces: the default MLP and loss, an elementwise
    optimizer (Adam, AdamW, SGD) without parameter groups, the default batching, no
    callbacks, no custom split, class weights, mixed precision or printing.
    """
    net = model[-1] if isinstance(model, Pipeline) else model
    if type(net) is not MIClassifier:  # a subclass may change how it trains
        return None
    plain_config = (
        net.module is None
        and int(net.n_members) == 1
        and net.num_embeddings is None
        and net.input_scaling == "standard"
        and net.criterion is PCSoftmaxLoss
        and isinstance(net.optimizer, type)
        and issubclass(net.optimizer, ELEMENTWISE_OPTIMIZERS)
        and not net.callbacks
        and net.train_split is None
        and net.class_weight is None
        and net.precision == "float32"
        and not net.warm_start
        and not net.verbose
        and net.iterator_train is ArrayBatches
        and net.iterator_valid is ArrayBatches
    )
    if not plain_config:
        return None
    for prefix in ("module", "criterion", "iterator_train", "iterator_valid", "dataset"):
        if net.get_params_for(prefix):
            return None
    if "param_groups" in net.get_params_for("optimizer"):
        return None
    return net


def pays_to_batch(nets, input_bytes: int) -> bool:
    """Whether these networks are worth training together, given the bytes of all their
    inputs: when there are several, on one device, and the stacked copy fits in memory
    (``CPU_MAX_STACK_BYTES``, or ``CUDA_MAX_STACK_FRACTION`` of a GPU's free memory)."""
    if len(nets) < 2:
        return False
    devices = {str(resolve_device(requested_device(net))) for net in nets}
    if len(devices) != 1:
        return False
    device = torch.device(devices.pop())
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return input_bytes <= CUDA_MAX_STACK_FRACTION * free
    return input_bytes <= CPU_MAX_STACK_BYTES


def fit_together(jobs, network_input=None) -> list:
    """Fit each ``(model, X, y)``; the MIClassifiers among them train as one batch.

    ``jobs`` may be a generator: each job's data are needed only while it is prepared
    (the batch keeps one float32 copy of each network's inputs), so a caller can copy
    rows out of a large X one job at a time.

    A job may carry a fourth element, a key saying which rows X holds, for
    ``network_input(model, X, y, key)``: what a pipeline's network is fed (None: X
    through the steps before it, fitted on X), so that jobs on the same rows can share
    fitted steps (`skmi._crossfit.SharedNetworkInputs`).

    Returns, per job, the fitted model or the ValueError its fit raised (a validation
    split too small for a class, say): the caller decides what a failure means.
    """
    outcomes: list = []
    groups = defaultdict(list)  # same layer shapes and training settings
    for i, job in enumerate(jobs):
        model, X, y = job[:3]
        outcomes.append(None)
        net = network_of(model)
        try:
            if net is None:
                outcomes[i] = model.fit(X, y)
                continue
            if not isinstance(model, Pipeline):
                Xt = X
            elif network_input is None:
                Xt = model[:-1].fit_transform(X, y)
            else:
                Xt = network_input(model, X, y, job[3] if len(job) > 3 else None)
            member = _prepared_member(net, Xt, y)
        except ValueError as exc:
            outcomes[i] = exc
            continue
        groups[_group_key(net)].append((i, model, net, member))
    for group in groups.values():
        nets = [net for _, _, net, _ in group]
        first = nets[0]
        dropout_seed = nets[0]._torch_seed_
        with first._runtime(), first._seeded(dropout_seed):
            trained = train_members(
                [member for _, _, _, member in group],
                optimizer=first.optimizer,
                optimizer_kwargs=_optimizer_kwargs(first),
                batch_size=first.batch_size,
                dropout=first.dropout,
                cuda_graphs=bool(first.cuda_graphs_),
            )
        for (i, model, net, _), result in zip(group, trained, strict=True):
            outcomes[i] = _load_trained(net, result) or model
    return outcomes


def _prepared_member(net: MIClassifier, X, y) -> Member:
    X, y_index = net._initialize_for(X, y)
    dataset_train, dataset_valid = net.get_split_datasets(X, y_index)
    n = len(y_index)
    train_rows = np.asarray(getattr(dataset_train, "indices", np.arange(n)))
    device = net.device
    module = net.module_
    X_tensor = torch.as_tensor(X, dtype=torch.float32, device=device)
    # the module's own input layer, applied once: (x - mean) / scale in float32
    standardised = (X_tensor - module.feature_mean) / module.feature_scale
    y_tensor = torch.as_tensor(y_index, dtype=torch.long, device=device)
    member = Member(
        weights=[
            (layer.weight.detach().clone(), layer.bias.detach().clone())
            for layer in _linears(module)
        ],
        X_train=standardised[train_rows],
        y_train=y_tensor[train_rows],
        log_prior=(net.criterion_.tau * net.criterion_.log_prior).detach(),
        max_epochs=int(net.epochs_planned_),
        seed=_shuffle_seed(net),
    )
    if dataset_valid is not None:
        valid_rows = np.asarray(dataset_valid.indices)
        member.X_valid = standardised[valid_rows]
        member.y_valid = y_tensor[valid_rows]
        member.patience = int(net.n_iter_no_change)
        member.tol = float(net.tol)
    return member


def _shuffle_seed(net) -> int:
    if net._torch_seed_ is not None:
        return int(net._torch_seed_) + 1  # not the stream that drew the initial weights
    return int(torch.randint(2**31 - 1, (1,)).item())


def _linears(module) -> list:
    return [layer for layer in module.modules() if isinstance(layer, torch.nn.Linear)]


def _optimizer_kwargs(net) -> dict:
    _, kwargs = net.get_params_for_optimizer("optimizer", net.module_.named_parameters())
    return kwargs


def _group_key(net) -> tuple:
    shapes = tuple(tuple(p.shape) for p in net.module_.parameters())
    kwargs = sorted((k, repr(v)) for k, v in _optimizer_kwargs(net).items())
    return (
        shapes,
        net.batch_size,
        float(net.dropout),
        net.optimizer,
        tuple(kwargs),
        str(net.device),
        bool(net.cuda_graphs_),
    )


def _load_trained(net: MIClassifier, result) -> NonFiniteLossError | None:
    """Put the trained weights into the model and write its history as fit would; a
    member whose loss stopped being finite warns as fit would, or, with no finite
    epoch to return to, comes back as the error fit would raise."""
    if result.non_finite_epoch is not None:
        epoch = result.non_finite_epoch
        losses = {"train_loss": result.train_loss[epoch - 1]}
        if result.valid_loss:
            losses["valid_loss"] = result.valid_loss[epoch - 1]
        message = non_finite_message(epoch, losses, result.restored_epoch)
        if result.weights is None:
            return NonFiniteLossError(message)
        warnings.warn(message, NonFiniteLossWarning, stacklevel=4)
    with torch.no_grad():
        for layer, (weight, bias) in zip(_linears(net.module_), result.weights, strict=True):
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
    best = math.inf
    for epoch, train_loss in enumerate(result.train_loss, start=1):
        net.history.new_epoch()
        net.history.record("epoch", epoch)
        net.history.record("train_loss", train_loss)
        if result.valid_loss:
            valid_loss = result.valid_loss[epoch - 1]
            net.history.record("valid_loss", valid_loss)
            net.history.record("valid_loss_best", valid_loss < best)
            best = min(best, valid_loss)
    return None
