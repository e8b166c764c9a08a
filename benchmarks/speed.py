"""Speed: MIClassifier against a hand-written PyTorch loop, skorch's default and sklearn.

Every method trains the same network (MIClassifier's default MLP for the data: two ReLU
layers of width clip(4 (d + K), 64, 256), dropout 0.1, inputs standardised inside the
module) with AdamW (lr 1e-3, weight decay 0.01), batch 256, shuffled, for the same number
of epochs, then predicts class probabilities for the n training rows and scores the MI:

- plain loop - tensors moved to the device once, a random permutation per epoch, batches
  sliced from it, ``cross_entropy(f + log prior, y)``; predicts in 4096-row blocks under
  ``torch.no_grad`` (the floor);
- MIClassifier - defaults except ``early_stopping=False`` and ``max_epochs``; scored by
  MIScorer;
- skorch default - ``NeuralNetClassifier`` with the same module and ``train_split=None``,
  ``iterator_train__shuffle=True``; its default ``DataLoader`` collates sample by sample;
  MI from its probabilities;
- sklearn MLPClassifier - same widths, adam, batch 256, L2 ``alpha=1e-4`` (no dropout in
  sklearn), early stopping off (CPU only).

On CUDA, MIClassifier's default (``cuda_graphs="auto"``) runs eagerly until
``scripts/gpu_check.sh`` has verified the CUDA-graph paths on a GPU (issue 23), and three
more methods run:

- MIClassifier graphed - ``cuda_graphs=True``: the training step captured in CUDA graphs;
- MIClassifier eager - ``cuda_graphs=False``;
- plain loop graphed - the plain loop with its step (gather of the batch rows from the
  device copy of X, forward, loss, backward, capturable AdamW step) captured once in a
  CUDA graph after 3 warm-up steps and replayed; the ragged last batch runs eagerly.

Each run is a fresh subprocess (so peak memory is that run's); repetitions are
interleaved (rep 1 of every method, then rep 2, ...) and medians reported. Threads: torch
and BLAS use ``--threads`` (default 1). Data: Gaussian features, labels from a noisy linear
rule (timing only). MIClassifier's fit time is regressed on n in log-log to give the
growth exponent.

Run: python benchmarks/speed.py [--device cpu|cuda] [--sizes 1e4 1e5 1e6] [--dims 20 200]
       [--classes 2 10] [--epochs 2] [--reps 3] [--reps-large 1]
Writes docs/benchmarks/speed[_cuda].{md,csv,png}.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from math import nan
from pathlib import Path

METHODS = ("plain loop", "MIClassifier", "skorch default", "sklearn MLPClassifier")
OPT_IN = ("MIClassifier bf16", "MIClassifier compile")  # --methods ... to time them
# On CUDA also: MIClassifier with its CUDA graphs off, and the plain loop's step captured
# in a CUDA graph (written here, apart from skmi's own capture).
CUDA_METHODS = ("MIClassifier eager", "MIClassifier graphed", "plain loop graphed")


# ---------------------------------------------------------------------- one run (worker)
def make_data(n, d, k, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    W = rng.normal(size=(d, k)).astype(np.float32) / np.sqrt(d)
    y = np.argmax(X @ W + rng.gumbel(size=(n, k)).astype(np.float32), axis=1)
    return X, y.astype(np.int64)


def plain_predict_and_score(module, X_t, y_t, log_prior, timings, sync) -> float:
    """The plain loops' prediction (whole 4096-row blocks, no per-row blocking: the
    fastest way) and MI score from the same logits, timed into ``timings``."""
    import torch

    start = time.perf_counter()
    module.eval()
    with torch.no_grad():
        logits = torch.cat(
            [module._logits(X_t[i : i + 4096]) for i in range(0, len(X_t), 4096)]
        ).float()
        proba = torch.softmax(logits + log_prior, dim=1).cpu().numpy()
    sync()
    timings["predict"] = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        pmi = logits.gather(1, y_t[:, None])[:, 0] - torch.logsumexp(logits + log_prior, 1)
        mi = float(pmi.mean())
    timings["score"] = time.perf_counter() - start
    assert proba.shape == (len(X_t), log_prior.numel())
    return mi


@contextlib.contextmanager
def stage_timers():
    """Wall time of estimate_mi's parts, summed over calls: the networks trained together
    (their quantile transforms included), the quantile transforms (fits and transforms,
    also those inside the networks' part) and the logistic-regression fits."""
    from unittest import mock

    from sklearn.linear_model import LogisticRegression

    from skmi import _crossfit
    from skmi._candidates import _NormalScores

    stages = {"networks": 0.0, "quantile": 0.0, "logistic": 0.0}

    def timed(stage, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                stages[stage] += time.perf_counter() - start

        return wrapper

    patches = [
        mock.patch.object(
            _crossfit, "_fit_networks_together", timed("networks", _crossfit._fit_networks_together)
        ),
        mock.patch.object(_NormalScores, "fit", timed("quantile", _NormalScores.fit)),
        mock.patch.object(_NormalScores, "transform", timed("quantile", _NormalScores.transform)),
        mock.patch.object(LogisticRegression, "fit", timed("logistic", LogisticRegression.fit)),
    ]
    for patch in patches:
        patch.start()
    try:
        yield stages
    finally:
        for patch in patches:
            patch.stop()


def run_one(method, n, d, k, epochs, device, threads, seed=0, warm_up=True):
    if warm_up:
        # one-off costs (kernel libraries, thread pools, CUDA context, allocator) are
        # paid by a small untimed run of the same method, so that timings measure the
        # steady state a grid search sees
        run_one(method, 1024, d, k, 1, device, threads, seed, warm_up=False)
    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)
    from skmi import MIClassifier, MIScorer
    from skmi._classifier import SINGLE_NETWORK
    from skmi._mlp import MLP, auto_hidden_layer_sizes, feature_standardisation
    from skmi.metrics import mutual_info_from_proba

    X, y = make_data(n, d, k, seed)
    hidden = auto_hidden_layer_sizes(d, k)
    mean, scale = feature_standardisation(X)
    cuda = device.startswith("cuda")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def timed(timings, fit, predict, score):
        """Time fit, predict and score into ``timings``; return the MI."""
        start = time.perf_counter()
        fit()
        sync()
        timings["fit"] = time.perf_counter() - start
        start = time.perf_counter()
        proba = predict()
        timings["predict"] = time.perf_counter() - start
        start = time.perf_counter()
        mi = score(proba)
        timings["score"] = time.perf_counter() - start
        assert proba.shape == (n, k)
        return mi

    if cuda:
        torch.cuda.reset_peak_memory_stats()
    torch.manual_seed(seed)
    timings = {}
    if method == "plain loop":
        start = time.perf_counter()
        module = MLP(d, k, hidden, dropout=0.1, feature_mean=mean, feature_scale=scale)
        module.to(device)
        optimizer = torch.optim.AdamW(module.parameters(), lr=1e-3)
        X_t, y_t = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
        log_prior = torch.log(torch.bincount(y_t, minlength=k).float() / n)
        module.train()
        for _ in range(epochs):
            order = torch.randperm(n, device=device)
            for first in range(0, n, 256):
                rows = order[first : first + 256]
                loss = torch.nn.functional.cross_entropy(module(X_t[rows]) + log_prior, y_t[rows])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        sync()
        timings["fit"] = time.perf_counter() - start
        mi = plain_predict_and_score(module, X_t, y_t, log_prior, timings, sync)
    elif method == "plain loop graphed":
        start = time.perf_counter()
        module = MLP(d, k, hidden, dropout=0.1, feature_mean=mean, feature_scale=scale)
        module.to(device)
        optimizer = torch.optim.AdamW(module.parameters(), lr=1e-3, capturable=True)
        X_t, y_t = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
        log_prior = torch.log(torch.bincount(y_t, minlength=k).float() / n)
        module.train()
        batch = 256
        static_rows = torch.zeros(batch, dtype=torch.long, device=device)

        def step(rows):
            loss = torch.nn.functional.cross_entropy(module(X_t[rows]) + log_prior, y_t[rows])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            return loss

        graph, warm = None, 0
        for _ in range(epochs):
            order = torch.randperm(n, device=device)
            for first in range(0, n, batch):
                rows = order[first : first + batch]
                if len(rows) < batch:
                    step(rows)  # the ragged last batch, eagerly
                    continue
                static_rows.copy_(rows)
                if graph is not None:
                    graph.replay()
                elif warm < 3:
                    side = torch.cuda.Stream()
                    side.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(side):
                        step(static_rows)
                    torch.cuda.current_stream().wait_stream(side)
                    warm += 1
                else:
                    graph = torch.cuda.CUDAGraph()
                    optimizer.zero_grad(set_to_none=True)
                    with torch.cuda.graph(graph):
                        step(static_rows)
                    graph.replay()
        sync()
        timings["fit"] = time.perf_counter() - start
        mi = plain_predict_and_score(module, X_t, y_t, log_prior, timings, sync)
    elif method == "estimate_mi":
        # load.py's data: 50 normal features, y = [x1 + x2 + noise > 0]; default candidates
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(n, 50)).astype(np.float32)
        y = (X[:, 0] + X[:, 1] + rng.normal(size=n) > 0).astype(int)
        from skmi import estimate_mi

        with stage_timers() as stages:
            start = time.perf_counter()
            if os.environ.get("SKMI_BENCH_GRAPHS") == "1":
                # time the batched stack with its CUDA graphs (gpu_check.sh), which the
                # default leaves off until a GPU run has verified them
                from skmi import _graphs

                _graphs.GPU_EVIDENCE = "benchmark: SKMI_BENCH_GRAPHS=1 (being verified)"
            result = estimate_mi(X, y, random_state=seed)
            sync()
        timings.update(fit=time.perf_counter() - start, predict=0.0, score=0.0)
        timings["stages"] = dict(stages)
        mi = result.mi
    elif method.startswith("MIClassifier"):
        # "MIClassifier bf16", "MIClassifier compile" and "MIClassifier eager" are the
        # opt-in variants
        clf = MIClassifier(
            precision="bf16" if method.endswith("bf16") else "float32",
            compile=method.endswith("compile"),
            cuda_graphs={"eager": False, "graphed": True}.get(method.split()[-1], "auto"),
            # the plain loops' network: one standardised MLP, dropout 0.1 as theirs
            **SINGLE_NETWORK,
            dropout=0.1,
            early_stopping=False,
            max_epochs=epochs,
            device=device,
            num_threads=threads,
            random_state=seed,
        )
        mi = timed(
            timings,
            fit=lambda: clf.fit(X, y),
            predict=lambda: clf.predict_proba(X),
            score=lambda proba: MIScorer()(clf, X, y),
        )
    elif method == "skorch default":
        from skorch import NeuralNetClassifier

        net = NeuralNetClassifier(
            MLP,
            module__n_features=d,
            module__n_classes=k,
            module__hidden_layer_sizes=hidden,
            module__dropout=0.1,
            module__feature_mean=mean,
            module__feature_scale=scale,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.AdamW,
            lr=1e-3,
            max_epochs=epochs,
            batch_size=256,
            train_split=None,
            iterator_train__shuffle=True,
            device=device,
            verbose=0,
        )
        mi = timed(
            timings,
            fit=lambda: net.fit(X, y),
            predict=lambda: net.predict_proba(X),
            score=lambda proba: mutual_info_from_proba(y, proba),
        )
    elif method == "sklearn MLPClassifier":
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier(
            hidden_layer_sizes=hidden,
            solver="adam",
            learning_rate_init=1e-3,
            alpha=1e-4,
            batch_size=256,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=epochs + 1,
            shuffle=True,
            random_state=seed,
        )
        import warnings

        def standardised():  # the torch methods standardise inside the module, timed too
            return (X - mean.astype(np.float32)) / scale.astype(np.float32)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "did not converge": the budget is fixed
            mi = timed(
                timings,
                fit=lambda: clf.fit(standardised(), y),
                predict=lambda: clf.predict_proba(standardised()),
                score=lambda proba: mutual_info_from_proba(y, proba),
            )
    else:
        raise ValueError(method)
    timings["total"] = timings["fit"] + timings["predict"] + timings["score"]
    timings["mi"] = float(mi)
    timings["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timings["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20 if cuda else float("nan")
    return timings


# ---------------------------------------------------------------------- orchestration
def ratio(numerator, denominator) -> str:
    """``"1.08x"``, or a dash where a method was not run."""
    value = numerator / denominator
    return "—" if value != value else f"{value:.2f}x"


def spawn(method, n, d, k, epochs, device, threads, timeout):
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    command = [
        sys.executable,
        __file__,
        "--worker",
        json.dumps([method, n, d, k, epochs, device, threads]),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{method} n={n} d={d} K={k} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def exponent(frame, method):
    import numpy as np

    rows = frame[frame.method == method]
    slopes = []
    for _, group in rows.groupby(["d", "K"]):
        med = group.groupby("n").fit.median()
        if len(med) >= 2:
            slopes.append(
                np.polyfit(np.log(med.index.to_numpy(float)), np.log(med.to_numpy()), 1)[0]
            )
    return slopes


def markdown(frame, command, env, device_name, elapsed, args):
    import numpy as np

    med = frame.groupby(["n", "d", "K", "method"], sort=True)[
        ["fit", "predict", "score", "total", "peak_rss_mb", "peak_cuda_mb"]
    ].median()
    reps = frame.groupby(["n", "d", "K", "method"]).size()
    lines = [
        f"# Speed ({device_name})",
        "",
        f"Command: `{command}`",
        "",
        f"Environment: {env}; device: {device_name}",
        "",
        f"Wall time: {elapsed / 60:.1f} min. {args.epochs} epochs, batch 256, the same MLP "
        "for every method; medians of interleaved repetitions (column reps), each run in a "
        "fresh process after an untimed warm-up fit on 1,024 rows.",
        "",
        "## Fit time (median seconds) and ratios",
        "",
        "| n | d | K | plain loop | MIClassifier | skorch default | sklearn MLPClassifier "
        "| MIClassifier / plain | skorch / MIClassifier | reps |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (n, d, k), group in med.groupby(level=[0, 1, 2]):
        fit = group.fit.droplevel([0, 1, 2])
        cell = {m: (f"{fit[m]:.2f} s" if m in fit else "—") for m in METHODS}
        ours = fit.get("MIClassifier", np.nan)
        lines.append(
            f"| {n:,} | {d} | {k} | {cell['plain loop']} | {cell['MIClassifier']} | "
            f"{cell['skorch default']} | {cell['sklearn MLPClassifier']} | "
            f"{ratio(ours, fit.get('plain loop', np.nan))} | "
            f"{ratio(fit.get('skorch default', np.nan), ours)} | {reps[(n, d, k)].min()} |"
        )
    if set(CUDA_METHODS) & set(frame.method):
        lines += [
            "",
            "## CUDA graphs: training samples per second (fit)",
            "",
            "`MIClassifier graphed` captures its training step in CUDA graphs "
            "(`cuda_graphs=True`); `MIClassifier eager` has `cuda_graphs=False`; "
            "`MIClassifier` is the default (`'auto'`: eager until a GPU run verified the "
            "graphs). Speed-up: MIClassifier graphed's samples/s over the eager plain "
            "loop's; gap: the graphed plain loop's samples/s over MIClassifier graphed's.",
            "",
            "| n | d | K | plain loop | plain loop graphed | MIClassifier eager | MIClassifier "
            "| MIClassifier graphed | speed-up over eager plain | gap to graphed plain |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for (n, d, k), group in med.groupby(level=[0, 1, 2]):
            rate = (args.epochs * n / group.fit.droplevel([0, 1, 2])).to_dict()
            cells = [
                f"{rate[m]:,.0f}" if m in rate else "—"
                for m in (
                    "plain loop",
                    "plain loop graphed",
                    "MIClassifier eager",
                    "MIClassifier",
                    "MIClassifier graphed",
                )
            ]
            ours = rate.get("MIClassifier graphed", np.nan)
            lines.append(
                f"| {n:,} | {d} | {k} | {' | '.join(cells)} "
                f"| {ratio(ours, rate.get('plain loop', np.nan))} "
                f"| {ratio(rate.get('plain loop graphed', np.nan), ours)} |"
            )
    lines += [
        "",
        "## Fit + predict + MI score, and peak memory",
        "",
        "| n | d | K | method | fit s | predict s | score s | total s | samples/s (fit) "
        "| peak RSS MB | peak CUDA MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (n, d, k, method), row in med.iterrows():
        cuda_mb = "—" if np.isnan(row.peak_cuda_mb) else f"{row.peak_cuda_mb:.0f}"
        lines.append(
            f"| {n:,} | {d} | {k} | {method} | {row.fit:.2f} | {row.predict:.3f} | "
            f"{row.score:.3f} | {row.total:.2f} | {args.epochs * n / row.fit:,.0f} | "
            f"{row.peak_rss_mb:.0f} | {cuda_mb} |"
        )
    lines += ["", "## Growth of MIClassifier's fit time with n", ""]
    for method in dict.fromkeys(frame.method):
        slopes = exponent(frame, method)
        if slopes:
            lines.append(
                f"- {method}: fitted exponent of fit time in n, per (d, K): "
                + ", ".join(f"{s:.2f}" for s in slopes)
            )
    return "\n".join(lines) + "\n"


def plot(frame, path, device_name):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    combos = sorted({(d, k) for d, k in zip(frame.d, frame.K, strict=True)})
    fig, axes = plt.subplots(1, len(combos), figsize=(3.6 * len(combos), 3.4), squeeze=False)
    for ax, (d, k) in zip(axes[0], combos, strict=True):
        sub = frame[(frame.d == d) & (frame.K == k)]
        for method in dict.fromkeys(frame.method):
            med = sub[sub.method == method].groupby("n").fit.median()
            if len(med):
                ax.loglog(med.index, med.values, marker="o", label=method)
        ax.set_title(f"d={d}, K={k}", fontsize=9)
        ax.set_xlabel("n (rows)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("fit seconds (median)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"fit time vs n ({device_name})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e4, 1e5, 1e6])
    parser.add_argument("--dims", nargs="+", type=int, default=[20, 200])
    parser.add_argument("--classes", nargs="+", type=int, default=[2, 10])
    parser.add_argument("--methods", nargs="+", default=None)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3, help="repetitions for n < 1e6")
    parser.add_argument("--reps-large", type=int, default=1, help="repetitions for n >= 1e6")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--out", default="docs/benchmarks")
    parser.add_argument(
        "--estimate-sizes", nargs="*", type=float, default=[], help="also time estimate_mi (n x 50)"
    )
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_one(*json.loads(args.worker))))
        return None

    import pandas as pd
    import torch

    sys.path.insert(0, str(Path(__file__).parent))
    from _common import announce

    cuda = args.device.startswith("cuda")
    device_name = torch.cuda.get_device_name(0) if cuda else "CPU"
    methods = args.methods or [
        *(m for m in METHODS if not (cuda and m.startswith("sklearn"))),
        *(CUDA_METHODS if cuda else ()),
    ]
    command, env = announce("speed.py", argv, threads=f"{args.threads} thread(s)")
    configs = [(int(n), d, k) for n in args.sizes for d in args.dims for k in args.classes]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "speed_cuda" if cuda else "speed"
    rows, start = [], time.perf_counter()
    for n, d, k in configs:
        reps = args.reps if n < 1_000_000 else args.reps_large
        for rep in range(reps):  # interleaved: every method once per repetition
            for method in methods:
                result = spawn(
                    method, n, d, k, args.epochs, args.device, args.threads, args.timeout
                )
                rows.append(dict(n=n, d=d, K=k, method=method, rep=rep, **result))
                pd.DataFrame(rows).to_csv(out / f"{stem}.csv", index=False)
                print(
                    f"n={n} d={d} K={k} rep {rep} {method}: fit {result['fit']:.2f} s, "
                    f"total {result['total']:.2f} s",
                    flush=True,
                )
    estimates = []
    for n in args.estimate_sizes:
        try:
            result = spawn("estimate_mi", int(n), 50, 2, 1, args.device, args.threads, args.timeout)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:  # kept as a row: what failed
            print(f"estimate_mi n={int(n)} d=50 did not finish: {str(exc)[-300:]}", flush=True)
            result = {"fit": float("nan"), "mi": float("nan")}
        stages = result.get("stages", {})
        estimates.append(
            dict(n=int(n), d=50, seconds=result["fit"], estimate=result["mi"], **stages)
        )
        parts = ", ".join(f"{name} {value:.1f} s" for name, value in stages.items())
        print(
            f"estimate_mi n={int(n)} d=50: {result['fit']:.1f} s ({parts}), "
            f"{result['mi']:.4f} nats",
            flush=True,
        )
    elapsed = time.perf_counter() - start
    frame = pd.DataFrame(rows)
    text = markdown(frame, command, env, device_name, elapsed, args) if rows else ""
    if estimates:
        text += (
            f"\n## estimate_mi on {device_name} (defaults, n x 50, load.py's data)\n\n"
            "Parts (summed wall time): the networks trained together, their quantile "
            "transforms included; every quantile fit and transform (also those inside the "
            "networks' part); the logistic-regression fits.\n\n"
            "| n | d | seconds | networks s | quantile s | logistic s | estimate (nats) |\n"
            "|---|---|---|---|---|---|---|\n"
            + "".join(
                f"| {e['n']:,} | {e['d']} | {e['seconds']:.1f} | {e.get('networks', nan):.1f} "
                f"| {e.get('quantile', nan):.1f} | {e.get('logistic', nan):.1f} "
                f"| {e['estimate']:.4f} |\n"
                for e in estimates
            )
        )
    try:
        if rows:
            plot(frame, out / f"{stem}.png", device_name)
            text += f"\n## Plot\n\n![Fit time against n per method]({stem}.png)\n"
    except ImportError:  # matplotlib is optional (GPU machines may lack it)
        print("matplotlib not installed: no plot")
    (out / f"{stem}.md").write_text(text)
    print(text)
    return frame


if __name__ == "__main__":
    main()
