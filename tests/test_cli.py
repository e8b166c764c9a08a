import argparse
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skmi._cli import build_parser, main
from skmi._demo import long_tailed_digits, run_demo
from skmi.datasets import make_task


def test_long_tailed_digits_profile():
    _, _, y_train, y_test = long_tailed_digits()
    counts = np.bincount(y_train)
    assert counts.max() / counts.min() >= 15
    assert np.all(np.diff(counts) <= 0)  # exponential, most frequent first
    test_counts = np.bincount(y_test)
    assert test_counts.max() / test_counts.min() < 1.1  # the test half keeps digits' balance


def test_demo_prints_the_estimate_and_the_comparison(capsys):
    out = io.StringIO()
    result = run_demo(seeds=1, quiet=True, out=out)
    text = out.getvalue()
    assert "nats" in text and "bits" in text
    assert 0 < result["mi_nats"] < np.log(10)
    assert np.isclose(result["mi_bits"], result["mi_nats"] / np.log(2))
    bacc = {name: r["balanced_accuracy"] for name, r in result["models"].items()}
    assert bacc["MIClassifier (PC-softmax, tau=1)"] > bacc["plain softmax (tau=0)"]
    assert all(f"{value:.3f} ± 0.000" in text for value in bacc.values())


def test_cli_demo_entry_point(capsys):
    assert main(["demo", "--quiet", "--seeds", "1"]) == 0
    assert "I(X;Y) estimate" in capsys.readouterr().out


@pytest.fixture(scope="module")
def table_file(tmp_path_factory):
    X, y, truth = make_task("gaussian_binary", 800, random_state=0)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["colour"] = rng.choice(["red", "green", "blue"], size=len(y))  # noise category
    frame["label"] = np.where(y == 1, "yes", "no")
    path = tmp_path_factory.mktemp("cli") / "data.csv"
    frame.to_csv(path, index=False)
    return path, frame, truth


def test_estimate_reports_mi_with_ci_near_the_truth(table_file, capsys):
    path, _, truth = table_file
    code = main(["estimate", str(path), "--target", "label", "--cv", "3", "--json", "--quiet"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    n_numeric = sum(c.startswith("x") for c in table_file[1].columns)
    assert report["rows"] == 800 and report["encoded_features"] == n_numeric + 3
    assert abs(report["mi_nats"] - truth) < 0.08
    low, high = report["ci_nats"]
    mi, h = report["mi_nats"], report["entropy_nats"]
    assert 0 <= low < mi < high <= h and low <= truth <= high
    assert report["mi_nats"] == pytest.approx(
        report["lower_bound_nats"] + report["correction_nats"]
    )
    if report["reading"] == "extrapolated":
        assert report["correction_nats"] > 0
        # the extrapolation's range of learning curves reaches further up than down
        assert high - mi > mi - low
    else:  # the correction was shrunk to nothing: the plain held-out reading
        assert report["reading"] == "plain" and report["correction_nats"] == 0
    assert sum(report["model_weights"].values()) == pytest.approx(1.0)
    assert len(report["fold_mi_nats"]) == report["n_repeats"] * 3
    assert all(0 <= v <= h for v in report["fold_mi_nats"])
    assert np.isclose(report["mi_bits"], report["mi_nats"] / np.log(2))
    assert np.isclose(sum(report["per_class_nats"].values()), report["mi_nats"])
    assert np.isclose(report["entropy_nats"], np.log(2), atol=0.01)
    assert 0.6 < report["balanced_accuracy"] < 0.9
    assert set(report["class_counts"]) == {"no", "yes"}


def test_estimate_text_output_and_plot(table_file, tmp_path, capsys):
    path, _, _ = table_file
    png = tmp_path / "pmi.png"
    args = ["estimate", str(path), "--target", "label", "--cv", "3", "--quiet", "--plot", str(png)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "I(X;Y) =" in out and "bits" in out and "balanced accuracy" in out
    assert "categorical (1): colour - one-hot" in out
    assert re.search(r"mixture weights: prior \d\.\d\d, MIClassifier \d\.\d\d, ", out)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("change", "args", "message"),
    [
        (
            None,
            ["--target", "Label"],
            "no target column 'Label' in the file. Did you mean 'label'?",
        ),
        ("one_class", ["--target", "label"], "single class"),
        ("no_label", ["--target", "label"], "1 row(s) have no value in the target 'label'"),
        (None, ["--target", "label", "--groups", "site"], "no groups column 'site'"),
        (None, ["--target", "label", "--groups", "label"], "other than the target"),
    ],
)
def test_estimate_explains_bad_tables(table_file, tmp_path, capsys, change, args, message):
    _, frame, _ = table_file
    frame = frame.copy()
    if change == "one_class":
        frame["label"] = "yes"
    elif change == "no_label":
        frame.loc[3, "label"] = np.nan
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    assert main(["estimate", str(path), *args, "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_estimate_missing_file(tmp_path, capsys):
    assert main(["estimate", str(tmp_path / "nope.csv"), "--target", "y"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_dropna_leaves_rows_out_and_says_so(table_file, tmp_path, capsys):
    _, frame, _ = table_file
    frame = frame.copy()
    frame.loc[[3, 5], "x1"] = np.nan
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    args = ["estimate", str(path), "--target", "label", "--cv", "3", "--dropna", "--quiet"]
    assert main([*args, "--no-extrapolate"]) == 0
    out = capsys.readouterr().out
    assert "2 with missing values left out" in out
    assert "plain held-out reading: a lower bound" in out


def test_no_extrapolate_reports_the_plain_reading(table_file, tmp_path, capsys):
    path, _, _ = table_file
    args = ["estimate", str(path), "--target", "label", "--cv", "3", "--json", "--quiet"]
    assert main(args) == 0
    default = json.loads(capsys.readouterr().out)
    png = tmp_path / "plain.png"
    assert main([*args, "--no-extrapolate", "--plot", str(png)]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["plot"] == str(png) and png.exists()
    assert plain["reading"] == "plain" and plain["correction_nats"] == 0
    assert plain["mi_nats"] == plain["lower_bound_nats"]
    z, mi, se = 1.959964, plain["mi_nats"], plain["stderr_nats"]
    assert plain["ci_nats"] == pytest.approx([mi - z * se, mi + z * se], abs=1e-6)
    # the same folds and full-size models: only the extrapolation differs
    assert plain["lower_bound_nats"] == pytest.approx(default["lower_bound_nats"])
    assert default["mi_nats"] > plain["mi_nats"]


def test_estimate_never_leaves_the_bounds_and_says_when_one_was_active(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(150, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["label"] = np.where(x[:, 0] > 0, "up", "down")  # y a function of x: MI = H(Y)
    path = tmp_path / "deterministic.csv"
    frame.to_csv(path, index=False)
    assert main(["estimate", str(path), "--target", "label", "--quiet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    h, upper = report["entropy_nats"], report["entropy_upper_nats"]
    assert 0 <= report["ci_nats"][0] <= report["mi_nats"] <= h <= report["ci_nats"][1]
    assert report["fraction_of_entropy"] <= 1
    # the interval is for the population, whose H(Y) may pass the sample's (issue 23)
    assert report["ci_nats"][1] == upper <= np.log(2) and "ci" in report["bounds_active"]
    assert main(["estimate", str(path), "--target", "label", "--quiet"]) == 0
    assert re.search(r"bounds active: (\w+, )*ci\b", capsys.readouterr().out)


def test_a_tiny_class_is_a_warning_that_names_the_cli_flag(table_file, tmp_path, capsys):
    _, frame, _ = table_file
    frame = frame.iloc[:300].copy()
    frame.loc[frame.index[:3], "label"] = "rare"  # 3 rows, fewer than the 5 folds
    path = tmp_path / "rare.csv"
    frame.to_csv(path, index=False)
    assert main(["estimate", str(path), "--target", "label", "--quiet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert any("Lower --cv" in note for note in report["warnings"])
    assert not any("cv=" in note for note in report["warnings"])
    assert 0 <= report["per_class_nats"]["rare"] <= report["entropy_nats"]


def test_cli_reads_as_estimate_mi_with_the_same_seed(table_file, capsys):
    """One set of defaults: the command's reading is estimate_mi's on the same table and
    seed (its candidates sized for the training folds by estimate_mi itself), also with
    an explicit device."""
    from skmi import estimate_mi
    from skmi._table import prepare_table, read_table

    path, _, _ = table_file
    args = ["estimate", str(path), "--target", "label", "--cv", "4", "--seed", "3", "--quiet"]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert main([*args, "--json", "--device", "cpu"]) == 0
    on_cpu = json.loads(capsys.readouterr().out)
    X, y, _, _ = prepare_table(read_table(path), "label")
    direct = estimate_mi(X, y, cv=4, random_state=3)
    assert report["mi_nats"] == pytest.approx(direct.mi, abs=1e-9)
    assert on_cpu["mi_nats"] == pytest.approx(direct.mi, abs=1e-9)
    assert set(report["model_weights"]) == set(direct.weights)


def _docs_sections():
    """docs/cli.md split at its ``## `skmi NAME`` headings: {NAME: text}."""
    text = (Path(__file__).parents[1] / "docs" / "cli.md").read_text()
    parts = re.split(r"^## `skmi (\w+)[^`]*`$", text, flags=re.M)
    return parts[0], dict(zip(parts[1::2], parts[2::2], strict=True))


def _option_rows(section):
    rows = re.findall(r"^\| `([^`]+)` \| (.+?) \| (.+?) \|$", section, flags=re.M)
    return {label: (default, text) for label, default, text in rows}


def _expected_row(action):
    if not action.option_strings:
        label = action.metavar
    else:
        label = action.option_strings[0] + (f" {action.metavar}" if action.metavar else "")
    if action.required or not action.option_strings:
        default = "required"
    elif isinstance(action, argparse._StoreTrueAction):
        default = "off"
    elif action.default is None:
        default = "—"
    elif isinstance(action.default, str):
        default = f"`{action.default}`"
    else:
        default = str(action.default)
    return label, (default, action.help)


def test_docs_describe_each_command_and_option_as_the_parser_does():
    # The options tables of docs/cli.md are the --help texts: same options, defaults and
    # words, so neither can drift (a changed default or help text fails here).
    parser, _ = build_parser()
    lead, sections = _docs_sections()
    assert parser.description in " ".join(lead.split())
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    assert set(sections) == set(commands.choices) == set(helps)
    for name, sub in commands.choices.items():
        text = " ".join(sections[name].split())
        assert helps[name] in text
        if sub.description:
            assert sub.description in text
        documented = _option_rows(sections[name])
        expected = dict(
            _expected_row(a) for a in sub._actions if not isinstance(a, argparse._HelpAction)
        )
        assert documented == expected, name


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "required" in capsys.readouterr().err


def test_demo_flags_reach_the_demo(monkeypatch):
    import skmi._demo

    calls = []
    monkeypatch.setattr(skmi._demo, "run_demo", lambda **kw: calls.append(kw))
    assert main(["demo", "--quiet", "--seeds", "2"]) == 0
    assert main(["demo"]) == 0
    assert calls == [{"seeds": 2, "quiet": True}, {"seeds": 3, "quiet": False}]


def test_the_progress_bar_follows_quiet(table_file, monkeypatch, capsys):
    import skmi

    real, seen = skmi.estimate_mi, []

    def recording(X, y, **kwargs):
        seen.append(kwargs["verbose"])
        return real(X[:300], y[:300], **{**kwargs, "estimator": LogisticRegression()})

    monkeypatch.setattr(skmi, "estimate_mi", recording)
    path, _, _ = table_file
    args = ["estimate", str(path), "--target", "label", "--json"]
    assert main(args) == 0 and main([*args, "--quiet"]) == 0
    assert seen == [1, 0]


def test_the_text_report_says_which_reading_it_is():
    from skmi._cli import report_lines

    report = {
        "ci_nats": [0.1, 0.3],
        "ci_bits": [0.14, 0.43],
        "mi_nats": 0.2,
        "mi_bits": 0.29,
        "confidence": 0.95,
        "reading": "plain",
        "lower_bound_nats": 0.2,
        "correction_nats": 0.0,
        "entropy_nats": 0.69,
        "entropy_bits": 1.0,
        "fraction_of_entropy": 0.29,
        "balanced_accuracy": 0.7,
        "per_class_nats": {"a": 0.1, "b": 0.1},
        "model_weights": {"prior": 0.1, "LogisticRegression": 0.9},
        "cv": 5,
        "n_repeats": 1,
        "seed": 0,
        "bounds_active": [],
        "warnings": [],
    }
    lines = report_lines(report)
    assert lines[1] == "         plain held-out reading: a lower bound on I(X;Y) in expectation"
    extrapolated = report_lines({**report, "reading": "extrapolated", "correction_nats": 0.05})
    assert "extrapolated to unlimited training data" in extrapolated[1]


def test_demo_progress_without_a_terminal_says_how_training_ended():
    from skmi import MIClassifier
    from skmi._demo import _EpochProgress

    X, y, _ = make_task("gaussian_binary", 400, random_state=0)
    stream = io.StringIO()  # not a terminal: no carriage returns
    net = MIClassifier(
        max_epochs=200,
        n_iter_no_change=2,
        lr=0.05,
        random_state=0,
        num_threads=1,
        callbacks=[("progress", _EpochProgress("demo model", stream=stream))],
    ).fit(X, y)
    lines = stream.getvalue().splitlines()
    epochs = len(net.history_)
    assert epochs < 200 and "\r" not in stream.getvalue()
    best = max(i for i, row in enumerate(net.history_, 1) if row["valid_loss_best"])
    assert (
        lines[-1].split()
        == (
            f"trained demo model early stopping after {epochs} of 200 epochs; "
            f"kept epoch {best}, the best on validation"
        ).split()
    )
    assert all("epoch" in line for line in lines) and len(lines) <= 5
