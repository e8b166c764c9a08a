"""CUDA-graph training steps: forward, PC-softmax loss, backward and the optimizer step
of a batch captured once per batch shape and replayed for the next batches.

A step of a small MLP is some thirty kernels of a few microseconds each; launched one
by one from Python the GPU mostly waits. Replaying a captured graph launches them at
once. The captured step must be the eager one: the same modules, loss and optimizer
(made ``capturable`` so that its step count lives on the device), reading the batch
from static buffers that each step overwrites. Each batch shape (the full batch, and
the ragged last one) gets its own graph, after a few eager warm-up steps on a side
stream (they are real training steps) that let lazy state (optimizer moments, library
workspaces) be allocated outside the capture. Nothing is skipped or padded, so every
sample is seen exactly as in the eager loop.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import warnings

import numpy as np
import torch

from skmi._warnings import GraphFallbackWarning, UnverifiedCUDAWarning

# Eager steps of a batch shape before it is captured (as in PyTorch's own examples).
WARMUP_STEPS = 3

# The GPU run that verified the CUDA-graph paths and the CUDA quantile transform:
# "GPU name: stored output", or None. Until scripts/gpu_check.sh has passed on a real GPU
# with this code and its output is stored under docs/gpu-check/ (tests/test_graphs.py
# reads it), cuda_graphs="auto" means eager, _NormalScores(device="auto") stays on the
# CPU, and cuda_graphs=True warns that it is unverified (issue 23).
GPU_EVIDENCE: str | None = None

# The first replays of each captured step are checked against its eager warm-up steps
# (see ReplayCheck).
CHECKED_REPLAYS = 3
# Optimizers whose step can be captured: elementwise updates with a capturable form
# (Adam, AdamW) or no step count at all (SGD).
GRAPH_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


def on_cuda(net) -> bool:
    return net.device is not None and can_capture(torch.device(net.device))


def can_capture(device: torch.device) -> bool:
    """Whether work on ``device`` can be captured in CUDA graphs (tests replace this to
    run the capture logic with recorded steps on the CPU)."""
    return device.type == "cuda"


def graph_obstacles(net) -> list[str]:
    """Why this net's training step cannot be captured safely (empty: it can)."""
    obstacles = []
    if not on_cuda(net):
        obstacles.append(f"the device is {net.device!r}, not CUDA")
    if net.optimizer not in GRAPH_OPTIMIZERS:
        obstacles.append(
            f"the optimizer is {getattr(net.optimizer, '__name__', net.optimizer)!r}, not "
            "Adam, AdamW or SGD"
        )
    if getattr(net, "callbacks", None):
        # a callback may act between backward and step (on_grad_computed: gradient
        # clipping), change the learning rate (LRScheduler) or read each batch's output,
        # none of which a replayed graph would see
        obstacles.append("extra callbacks are set")
    if getattr(net, "precision", "float32") != "float32":
        obstacles.append(f"precision is {net.precision!r}")
    return obstacles


def resolve_cuda_graphs(net) -> bool:
    """``cuda_graphs_``: "auto" is on where the step can be captured safely and the module
    is the default MLP (a custom module may branch on its data); True must be possible."""
    setting = getattr(net, "cuda_graphs", False)  # nets other than MIClassifier: off
    obstacles = graph_obstacles(net)
    if isinstance(setting, str):  # "auto"
        return not obstacles and net.module is None and GPU_EVIDENCE is not None
    if not setting:
        return False
    if obstacles:
        raise ValueError(
            f"cuda_graphs=True cannot capture the training step: {'; '.join(obstacles)}. "
            "Use cuda_graphs='auto' or False."
        )
    warn_unverified("cuda_graphs=True")
    return True


def warn_unverified(what: str) -> None:
    """Warn that ``what`` asks for a CUDA path no GPU run has verified yet."""
    if GPU_EVIDENCE is None:
        warnings.warn(
            f"{what}: skmi's CUDA-graph and CUDA-transform paths have not yet passed "
            "scripts/gpu_check.sh on a GPU (docs/gpu.md). They check their first replays "
            "and fall back to eager steps where a check fails, but are unverified; the "
            "default ('auto') runs eagerly until a GPU run has verified them.",
            UnverifiedCUDAWarning,
            stacklevel=4,
        )


class ReplayCheck:
    """The check of a captured step's first replays against its eager warm-up steps.

    A replayed step is an eager step on a new batch of the same data, a few updates
    later: its loss is one more draw of the warm-up steps' batch losses, and lower as
    training goes on. A replay is accepted when its loss (each member's, for a stack)
    and the weights it leaves are finite and the loss is at most 3 times the warm-up
    losses' largest plus 3 times their spread plus ``floor``, the loss the class prior
    alone gives a row of the rarest class (``-log pi_min``). The margin is wide on
    purpose: with small batches and rare classes a correct step's batch loss swings far
    (a batch of 8 that draws one row of a 1 % class reads ten times the mean). Rules of
    the warm-up losses alone rejected about one correct replay in a hundred in runs of
    benchmarks/replay_check.py that were not kept; this rule's count is in its stored
    run (docs/benchmarks/replay_check.md). A rejection costs only the graph's speed: the
    step is redone eagerly. What a wrong graph does (stale buffers, updates lost or
    applied to freed memory) shows mostly as a NaN or infinite loss or weight, always
    rejected, or as a loss that leaves the range of training losses; a loss that falls
    is never rejected.
    """

    def __init__(self, floor=0.0):
        self.warmup: list = []  # the eager warm-up losses (tensors: one read at capture)
        self.floor = floor  # -log pi_min: a float, or one per member of a stack
        self.ceiling = None
        self.checked = 0

    def record(self, loss: torch.Tensor) -> None:
        self.warmup.append(loss.detach().float().clone())

    def due(self) -> bool:
        return self.checked < CHECKED_REPLAYS

    def accepts(self, loss: torch.Tensor, params, keep=None) -> bool:
        """Whether the replay that gave ``loss`` (and left ``params``) passes; reads
        the device (a sync), only for the first replays. ``keep``: which members of a
        stack are checked (parked ones are not)."""
        self.checked += 1
        if self.ceiling is None:
            warmup = torch.stack(self.warmup)  # (steps,) or (steps, members)
            spread = warmup.std(0) if len(self.warmup) > 1 else torch.zeros_like(warmup[0])
            floor = torch.as_tensor(self.floor, dtype=warmup.dtype, device=warmup.device)
            self.ceiling = 3 * warmup.max(0).values + 3 * spread + floor
        loss = loss.detach().float()
        ok = torch.isfinite(loss) & (loss <= self.ceiling)
        ok = (ok if keep is None else ok | ~keep).all()
        finite = torch.stack([torch.isfinite(p).all() for p in params]).all()
        return bool(ok & finite)


def snapshot(params, optimizer) -> tuple:
    """The parameters' and the optimizer's state, to undo a step (a rejected replay)."""
    return [p.detach().clone() for p in params], copy.deepcopy(optimizer.state_dict())


def restore(params, optimizer, saved) -> None:
    values, optimizer_state = saved
    with torch.no_grad():
        for p, value in zip(params, values, strict=True):
            p.copy_(value)
    optimizer.load_state_dict(optimizer_state)


def warn_fallback(what: str) -> None:
    warnings.warn(
        f"A {what} replayed from a CUDA graph failed its check (a loss or weight not "
        "finite, or a loss far above its eager warm-up steps'); the step was undone and "
        "run eagerly, and training goes on eagerly. Please report this with "
        "scripts/gpu_check.sh's output.",
        GraphFallbackWarning,
        stacklevel=4,
    )


@contextlib.contextmanager
def quiet_capturable():
    """Without torch's warning that a ``capturable`` optimizer steps outside a capture:
    the warm-up steps (and the eager steps after a failed capture) are meant to."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="This instance was constructed with capturable=True"
        )
        yield


def capturable_optimizer_kwargs(optimizer, kwargs: dict) -> dict:
    """Adam and AdamW keep their step count on the device (``capturable=True``: the
    same update, readable inside a graph)."""
    if "capturable" in inspect.signature(optimizer.__init__).parameters:
        return {"capturable": True, **kwargs}
    return kwargs


def captured(run, what: str):
    """``run()`` recorded in a new CUDA graph (not run), or None, with a warning, where
    the capture fails: the caller then goes on eagerly."""
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    try:
        # a private memory pool per graph: graphs of different shapes are replayed in
        # no fixed order, so they must not share intermediate memory
        with torch.cuda.graph(graph):
            run()
    except RuntimeError as exc:
        warnings.warn(
            f"The {what} could not be captured in a CUDA graph ({exc}); it runs eagerly. "
            "Pass cuda_graphs=False to skip the attempt.",
            RuntimeWarning,
            stacklevel=4,
        )
        torch.cuda.synchronize()
        return None
    return graph


def on_side_stream(run):
    """``run()`` on a side stream, as the warm-up before a capture must be; returns
    what it returns, ordered before the current stream's next work."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side), quiet_capturable():
        out = run()
    torch.cuda.current_stream().wait_stream(side)
    if torch.is_tensor(out):
        # used on the current stream from now on: its memory must wait for that one
        out.record_stream(torch.cuda.current_stream())
    return out


class GraphedTrainStep:
    """skorch's ``train_step`` for one batch, replayed from a CUDA graph per batch shape.

    Parameters
    ----------
    net : PriorCorrectedNet
        Initialised, with its optimizer built by ``capturable_optimizer_kwargs``.
    capture : bool
        False runs the same static-buffer step eagerly (the CPU, and tests).
    """

    def __init__(self, net, capture: bool):
        self.net = net
        self.capture = capture
        self.shapes: dict = {}  # batch shape -> _Shape

    def __call__(self, batch, **fit_params) -> dict:
        Xi, yi = batch
        key = (tuple(Xi.shape), tuple(yi.shape), Xi.dtype, yi.dtype)
        shape = self.shapes.get(key)
        if shape is None:
            shape = self.shapes[key] = _Shape(Xi, yi, floor=_prior_floor(self.net))
        shape.x.copy_(Xi, non_blocking=True)
        shape.y.copy_(yi, non_blocking=True)
        self.net._set_training(True)
        if shape.graph is None and self.capture and shape.eager_steps >= WARMUP_STEPS:
            self._capture(shape, fit_params)
        if shape.graph is not None:
            self._replay(shape, fit_params)
        elif self.capture:  # a warm-up step, on a side stream as capture needs
            on_side_stream(lambda: self._step(shape, fit_params))
            shape.check.record(shape.loss)
        else:
            with quiet_capturable():
                self._step(shape, fit_params)
        # the static loss is overwritten by the next step: keep this one (on the device)
        return {"loss": shape.loss.detach().clone(), "y_pred": shape.out}

    def _replay(self, shape, fit_params) -> None:
        """Replay the shape's graph; its first replays are checked (`ReplayCheck`), and
        one that fails is undone and run eagerly, as is every step after it."""
        if not shape.check.due():
            shape.graph.replay()
            return
        params = list(self.net.module_.parameters())
        saved = snapshot(params, self.net.optimizer_)
        shape.graph.replay()
        if shape.check.accepts(shape.loss, params):
            return
        restore(params, self.net.optimizer_, saved)
        self.capture = False
        for other in self.shapes.values():
            other.graph = None
        warn_fallback("training step")
        with quiet_capturable():
            self._step(shape, fit_params)

    def _step(self, shape, fit_params) -> None:
        net = self.net
        net.optimizer_.zero_grad(set_to_none=True)
        shape.out = net.infer(shape.x, **fit_params)
        shape.loss = net.get_loss(shape.out, shape.y, X=shape.x, training=True)
        shape.loss.backward()
        net.optimizer_.step()
        shape.eager_steps += 1

    def _capture(self, shape, fit_params) -> None:
        """Capture the step of this shape. Where the capture fails, train eagerly from
        then on."""
        self.net.optimizer_.zero_grad(set_to_none=True)
        shape.graph = captured(lambda: self._step(shape, fit_params), "training step")
        self.capture = shape.graph is not None

    def release(self) -> None:
        """Drop the graphs and their memory pool (at the end of a fit)."""
        self.shapes.clear()


def _prior_floor(net) -> float:
    """``-log pi_min`` of the net's class prior (0 without one)."""
    prior = getattr(net, "class_prior_", None)
    return 0.0 if prior is None else float(-np.log(np.min(prior)))


class _Shape:
    """Static buffers of one batch shape, and its graph once captured."""

    def __init__(self, Xi, yi, floor=0.0):
        self.x = torch.empty_like(Xi)
        self.y = torch.empty_like(yi)
        self.out = None
        self.loss = None
        self.graph = None
        self.eager_steps = 0
        self.check = ReplayCheck(floor)


class GraphedForward:
    """The module's forward pass in evaluation (validation and prediction batches),
    replayed from a CUDA graph per input shape.

    A shape is captured once it has been seen ``WARMUP_STEPS`` times (its eager passes
    are the warm-up): the few batch shapes of a pass over the data (the full batch, the
    last one) are replayed, a shape seen once (a short prediction) is not worth a
    capture. The output is a copy: the graph's own output is overwritten at each replay.

    Parameters
    ----------
    net : PriorCorrectedNet
    capture : bool
        False runs the same static-buffer pass eagerly (the CPU, and tests).
    """

    def __init__(self, net, capture: bool):
        self.net = net
        self.capture = capture
        self.shapes: dict = {}  # input shape and dtype -> _Forward

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        module = self.net.module_
        shape = self.shapes.setdefault((tuple(x.shape), x.dtype), _Forward())
        if shape.graph is None and self.capture and shape.seen >= WARMUP_STEPS:
            self._capture(shape, module, x)
        if shape.graph is not None:
            shape.x.copy_(x, non_blocking=True)
            shape.graph.replay()
            return shape.out.clone()
        shape.seen += 1
        if self.capture:  # a warm-up pass, on a side stream as capture needs
            return on_side_stream(lambda: module(x))
        if shape.x is None:
            shape.x = torch.empty_like(x)
        shape.x.copy_(x)
        return module(shape.x).clone()

    def _capture(self, shape, module, x) -> None:
        shape.x = torch.empty_like(x)

        def forward():
            shape.out = module(shape.x)

        shape.graph = captured(forward, "forward pass")
        self.capture = shape.graph is not None
        if shape.graph is None:
            shape.x = None

    def release(self) -> None:
        self.shapes.clear()


class _Forward:
    """Static input and output of one input shape, and its graph once captured."""

    def __init__(self):
        self.x = None
        self.out = None
        self.graph = None
        self.seen = 0
