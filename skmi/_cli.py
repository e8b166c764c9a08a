"""The ``skmi`` command line."""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings

from skmi._threads import limits_threads


def _estimate(args, parser) -> int:
    """``skmi estimate``: read the table, estimate, build the report, then print it."""
    if args.jobs == 0:
        parser.error("--jobs must not be 0 (1: this process; -1: one process per core)")
    loaded = _load_table(args, parser)
    if isinstance(loaded, int):
        return loaded
    X, y, groups, info = loaded
    say = (lambda *a: None) if args.json else (lambda *a: print(*a))
    for line in _table_lines(args, info):
        say(line)
    try:
        result, notes, leaks = _run_estimate(args, X, y, groups)
    except ValueError as exc:
        print(f"skmi estimate: error: {exc}", file=sys.stderr)
        return 2
    report = build_report(args, info, result, notes, leaks)
    if args.plot:
        if not _write_plot(result, args.plot):
            return 2
        report["plot"] = str(args.plot)
    print(json.dumps(report, indent=2) if args.json else "\n".join(report_lines(report)))
    return 0


def _load_table(args, parser):
    """``(X, y, groups, info)`` of the table, or the exit status of a problem already
    reported."""
    from skmi._runtime import check_device
    from skmi._table import TableError, prepare_table, read_table

    try:
        import pandas  # noqa: F401
    except ImportError:
        print(
            "skmi estimate: reading tables needs pandas: pip install pandas "
            "(or, from a clone of skmi, pip install '.[cli]')",
            file=sys.stderr,
        )
        return 2
    if args.cv < 2:
        parser.error("--cv must be at least 2")
    try:
        check_device(args.device)
    except ValueError as exc:  # one line, no usage: the command was well formed
        print(f"skmi estimate: error: {exc}", file=sys.stderr)
        return 2
    try:
        frame = read_table(args.data)
        drop = args.drop or []
        unknown = [name for name in drop if name not in frame.columns]
        if unknown:
            raise TableError(
                f"--drop names column(s) not in {args.data}: {unknown}; its columns are "
                f"{[str(c) for c in frame.columns]}."
            )
        frame = frame.drop(columns=drop)
        return prepare_table(frame, args.target, dropna=args.dropna, groups=args.groups)
    except TableError as exc:
        print(f"skmi estimate: error: {exc}", file=sys.stderr)
        return 2


def _table_lines(args, info) -> list[str]:
    dropped = info["rows_dropped"]
    lines = [
        f"{args.data}: {info['rows']} rows"
        + (f" ({dropped} with missing values left out)" if dropped else "")
        + f", {info['feature_columns']} feature columns -> {info['encoded_features']} features"
        + (f", {info['missing_cells']} missing cells kept" if info["missing_cells"] else "")
    ]
    lines += ["  " + line for line in info["encoding"]]
    if info["dates_parsed"]:
        lines.append("  read as dates: " + ", ".join(info["dates_parsed"]))
    for name, why in info["columns_left_out"].items():
        lines.append(f"  left out: {name} ({why})")
    if "groups" in info:
        lines.append(
            f"groups: {info['groups']['count']} groups in column {info['groups']['column']!r};"
            " no group is on both sides of a split"
        )
    counts = ", ".join(f"{c} {n}" for c, n in info["class_counts"].items())
    lines.append(f"target {args.target!r}: {counts}")
    return lines


def _run_estimate(args, X, y, groups=None):
    """The estimate with the command's options, the advice from its warnings, and the
    notes among them on columns that spoil the estimate (`skmi._leaks`)."""
    import numpy as np

    from skmi import default_estimators, estimate_mi
    from skmi._candidates import training_rows_per_fold
    from skmi._warnings import EstimateWarning, LeakWarning

    # estimate_mi's own candidates, so that the command and the function give the same
    # reading for the same seed; another device than "auto" needs them built here, with
    # the seed estimate_mi gives them (the first draw of its random state, which then
    # goes on as estimate_mi's would)
    candidates, random_state = None, args.seed
    if args.device != "auto":
        random_state = np.random.RandomState(args.seed)
        seed = random_state.randint(2**31 - 1)
        candidates = default_estimators(
            seed, n_samples=training_rows_per_fold(args.cv, X, y), n_classes=len(np.unique(y))
        )
        candidates[0].set_params(miclassifier__device=args.device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = estimate_mi(
            X,
            y,
            estimator=candidates,
            cv=args.cv,
            extrapolate=not args.no_extrapolate,
            random_state=random_state,
            verbose=0 if args.quiet else 1,
            groups=groups,
            n_jobs=args.jobs,
        )
    leaks = grouped_warnings(
        [w for w in caught if issubclass(w.category, LeakWarning)], LeakWarning
    )
    return result, grouped_warnings(caught, EstimateWarning), leaks


def grouped_warnings(caught, first) -> list[str]:
    """Every warning of the call, each different one once with how often it came:
    those of class ``first`` (skmi's own about the estimate, with this command's advice)
    before the others (a fit restored after a non-finite loss, a fallback, a library's
    notice), so that nothing the call said is hidden from the user."""
    counts: dict = {}
    for caught_warning in caught:
        ours = issubclass(caught_warning.category, first)
        note = (
            _cli_advice(caught_warning)
            if ours
            else f"{caught_warning.category.__name__}: {caught_warning.message}"
        )
        key = (not ours, note)
        counts[key] = counts.get(key, 0) + 1
    return [note if n == 1 else f"{note} ({n} times)" for (_, note), n in sorted(counts.items())]


def build_report(args, info, result, notes, leaks=()) -> dict:
    """Every figure of the estimate, as the JSON output has them (the text is made from
    this dict too, so the two cannot disagree)."""
    ln2 = math.log(2)
    return {
        "file": str(args.data),
        "target": args.target,
        "mi_nats": result.mi,
        "mi_bits": result.mi_bits,
        "ci_nats": list(result.ci),
        "ci_bits": list(result.ci_bits),
        "confidence": result.confidence,
        "stderr_nats": result.stderr,
        "entropy_nats": result.entropy,
        "entropy_bits": result.entropy / ln2,
        "entropy_upper_nats": result.entropy_upper,
        "fraction_of_entropy": result.fraction_of_entropy,
        "per_class_nats": {str(k): v for k, v in result.per_class.items()},
        "balanced_accuracy": result.balanced_accuracy,
        "reading": "extrapolated" if result.extrapolated else "plain",
        "lower_bound_nats": result.lower_bound,
        "correction_nats": result.correction,
        "bounds_active": list(result.bounds_active),
        "train_mi_nats": result.train_mi,
        "fold_mi_nats": result.fold_mi.tolist(),
        "model_weights": result.weights,
        "cv": args.cv,
        "n_repeats": result.n_repeats,
        "seed": args.seed,
        "device": args.device,
        "warnings": notes,
        "suspicious_columns": list(leaks),
        **{
            k: info[k]
            for k in (
                "rows",
                "rows_dropped",
                "encoded_features",
                "class_counts",
                "column_kinds",
                "columns_left_out",
                "dates_parsed",
                "missing_cells",
            )
        },
        **({"groups": info["groups"]} if "groups" in info else {}),
    }


def report_lines(report: dict) -> list[str]:
    """The text output of a report."""
    low, high = report["ci_nats"]
    low_bits, high_bits = report["ci_bits"]
    # columns that make the figures below meaningless come before them
    leaks = report.get("suspicious_columns", [])
    lines = [f"warning: {note}" for note in leaks]
    lines += [
        f"I(X;Y) = {report['mi_nats']:.4f} nats ({report['mi_bits']:.4f} bits), "
        f"{report['confidence']:.0%} CI [{low:.4f}, {high:.4f}] nats "
        f"= [{low_bits:.4f}, {high_bits:.4f}] bits"
    ]
    if report["reading"] == "extrapolated":
        lines.append(
            f"         extrapolated to unlimited training data: the plain held-out reading "
            f"{report['lower_bound_nats']:.4f} nats (a lower bound in expectation) "
            f"+ {report['correction_nats']:.4f}"
        )
    else:
        lines.append("         plain held-out reading: a lower bound on I(X;Y) in expectation")
    lines += [
        f"H(Y)   = {report['entropy_nats']:.4f} nats ({report['entropy_bits']:.4f} bits): the "
        f"features explain {report['fraction_of_entropy']:.1%} of the label entropy",
        f"balanced accuracy (out-of-fold, balanced-error rule): {report['balanced_accuracy']:.3f}",
        "per-class contributions (nats, sum to I):",
        *(f"  {label}: {value:+.4f}" for label, value in report["per_class_nats"].items()),
    ]
    mixture = ", ".join(f"{name} {w:.2f}" for name, w in report["model_weights"].items())
    lines.append(
        f"mixture weights: {mixture}; {report['cv']}-fold cross-fitting x "
        f"{report['n_repeats']}, seed {report['seed']}"
    )
    if report["bounds_active"]:
        lines.append(
            "bounds active: " + ", ".join(report["bounds_active"]) + " (held within 0 <= "
            "I(X;Y) <= H(Y) and each class's share within [0, -p log p])"
        )
    lines += [f"warning: {note}" for note in report["warnings"] if note not in leaks]
    if "plot" in report:
        lines.append(f"plot written to {report['plot']}")
    return lines


def _write_plot(result, path) -> bool:
    try:
        import matplotlib
    except ImportError:
        print(
            "skmi estimate: --plot needs matplotlib: pip install matplotlib "
            "(or, from a clone of skmi, pip install '.[plot]')",
            file=sys.stderr,
        )
        return False
    matplotlib.use("Agg")  # a file, never a window
    from skmi.plotting import plot_pmi

    plot_pmi(result).savefig(path, dpi=120, bbox_inches="tight")
    return True


def _cli_advice(caught) -> str:
    """A warning of estimate_mi, with what to do in this command's own flags."""
    from skmi._warnings import SmallClassWarning

    if issubclass(caught.category, SmallClassWarning):
        return f"{caught.message} Lower --cv, or add rows of that class."
    return str(caught.message)


# Each option's help is the description in docs/cli.md's table (tests/test_cli.py keeps
# the two in step), so that `skmi estimate --help` and the docs say the same thing.
def build_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The ``skmi`` parser and its ``estimate`` sub-parser."""
    from skmi import __version__

    parser = argparse.ArgumentParser(
        prog="skmi", description="Neural-network classifier as mutual-information estimator."
    )
    parser.add_argument("--version", action="version", version=f"skmi {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="PC-softmax vs plain softmax vs a resampler on digits")
    demo.add_argument("--seeds", metavar="N", type=int, default=3, help="number of seeds")
    demo.add_argument("--quiet", action="store_true", help="no progress lines")
    est = sub.add_parser(
        "estimate",
        help="estimate I(X;Y) between a table's columns and its target column",
        description="Cross-fitted estimate of the mutual information between all feature "
        "columns (jointly) and the target column, with a confidence interval.",
    )
    est.add_argument("data", metavar="FILE", help="CSV, TSV or parquet file")
    est.add_argument("--target", metavar="COLUMN", required=True, help="the label column")
    est.add_argument("--cv", metavar="K", type=int, default=5, help="cross-fitting folds")
    est.add_argument(
        "--seed", metavar="S", type=int, default=0, help="same seed, same answer (on a CPU)"
    )
    est.add_argument("--device", default="auto", help="cpu, cuda or auto (GPU if torch sees one)")
    est.add_argument(
        "--no-extrapolate",
        action="store_true",
        help="report the plain held-out reading (a lower bound in expectation)",
    )
    est.add_argument(
        "--dropna",
        action="store_true",
        help="leave out rows with missing values (by default they are kept)",
    )
    est.add_argument(
        "--groups",
        metavar="COLUMN",
        help="group labels: no group on both sides of a split",
    )
    est.add_argument(
        "--json",
        action="store_true",
        help="machine-readable output: every figure above plus fold values",
    )
    est.add_argument(
        "--plot",
        metavar="FILE.png",
        help="per-class PMI distributions with the estimate and its CI",
    )
    est.add_argument(
        "--drop",
        metavar="COLUMN",
        action="append",
        help="leave this column out of the features (repeat for several)",
    )
    est.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=1,
        help="processes fitting the splits at once (the same reading for any N)",
    )
    est.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser, est


@limits_threads
def main(argv: list[str] | None = None) -> int:
    parser, est = build_parser()
    args = parser.parse_args(argv)

    if args.command == "demo":
        from skmi._demo import run_demo

        if args.seeds < 1:
            parser.error("--seeds must be at least 1")
        run_demo(seeds=args.seeds, quiet=args.quiet)
        return 0
    return _estimate(args, est)


if __name__ == "__main__":
    sys.exit(main())
