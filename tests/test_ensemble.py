"""MIClassifier(n_members=k): k networks trained at once, read as one ensemble."""

import io

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skmi import MIClassifier, MIScorer, PCSoftmaxLoss
from skmi._classifier import SINGLE_NETWORK
from skmi._mlp import EnsembleMLP
from skmi._together import network_of
from skmi.datasets import make_task

FAST = {"max_epochs": 8, "random_state": 0, "num_threads": 1}


@pytest.fixture(scope="module")
def task():
    return make_task("gaussian_imbalanced", 900, random_state=0)


def test_the_ensemble_posterior_is_the_members_average():
    torch.manual_seed(0)
    shift = torch.log(torch.tensor([0.7, 0.2, 0.1]))
    module = EnsembleMLP(4, 3, (8, 8), n_members=5, shift=shift)
    X = torch.randn(300, 4)
    module.train()
    members = module(X)  # no dropout: the same members' logits as in evaluation
    assert members.shape == (300, 5, 3)
    module.eval()
    ensemble = module(X)
    expected = torch.softmax(members + shift, -1).mean(1)
    torch.testing.assert_close(torch.softmax(ensemble + shift, -1), expected, atol=1e-6, rtol=0)
    # the members differ (own initialisation), and a row's output ignores the others
    assert not torch.allclose(members[:, 0], members[:, 1])
    torch.testing.assert_close(module(X[:7]), ensemble[:7])


def test_the_loss_of_member_logits_is_the_members_mean_loss():
    loss = PCSoftmaxLoss(class_prior=[0.5, 0.3, 0.2])
    logits = torch.randn(40, 4, 3)
    y = torch.randint(0, 3, (40,))
    per_member = [loss(logits[:, m], y) for m in range(4)]
    torch.testing.assert_close(loss(logits, y), torch.stack(per_member).mean())
    weighted = torch.column_stack([y.double(), torch.rand(40, dtype=torch.float64)])
    per_member = [loss(logits[:, m], weighted) for m in range(4)]
    torch.testing.assert_close(loss(logits, weighted), torch.stack(per_member).mean())


def test_an_ensemble_fits_and_reads_one_pmi_path(task):
    X, y, _ = task
    clf = MIClassifier(n_members=4, **FAST).fit(X[:600], y[:600])
    assert isinstance(clf.module_, EnsembleMLP) and clf.module_.n_members == 4
    proba = clf.predict_proba(X[600:])
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-6)
    score = MIScorer()(clf, X[600:], y[600:])
    scored_prior = np.bincount(y[600:]) / 300  # MIScorer reads under the scored data's prior
    pmi = clf.pointwise_mutual_info(X[600:], y[600:], prior=scored_prior)
    assert score == pytest.approx(pmi.mean())
    # Jensen: the averaged posterior's log-loss is at most the members' mean log-loss
    Xt = torch.as_tensor(X[600:], dtype=torch.float32)
    module = clf.module_
    with torch.no_grad():
        module.train()
        module.dropout, dropout = 0.0, module.dropout
        members = module(Xt)
        module.dropout = dropout
        module.eval()
        ensemble = module(Xt)
    target = torch.as_tensor(y[600:])
    shift = module.shift
    member_loss = np.mean([F.cross_entropy(members[:, m] + shift, target).item() for m in range(4)])
    assert F.cross_entropy(ensemble + shift, target).item() <= member_loss + 1e-7


def test_one_member_is_the_plain_network(task):
    X, y, _ = task
    one = MIClassifier(n_members=1, num_embeddings=None, input_scaling="standard", **FAST)
    one.fit(X, y)
    single = MIClassifier(**SINGLE_NETWORK, **FAST).fit(X, y)
    assert type(one.module_).__name__ == "MLP"
    np.testing.assert_array_equal(one.predict_proba(X), single.predict_proba(X))
    assert type(MIClassifier(**FAST).fit(X, y).module_).__name__ == "EnsembleMLP"  # default
    assert network_of(MIClassifier(n_members=4)) is None  # not batched by estimate_mi
    with pytest.raises(ValueError, match="n_members must be an int >= 1"):
        MIClassifier(n_members=0).fit(X, y)


def test_an_ensemble_saves_and_loads(task):
    X, y, _ = task
    clf = MIClassifier(n_members=3, **FAST).fit(X, y)
    params, criterion = io.BytesIO(), io.BytesIO()
    clf.save_params(f_params=params, f_criterion=criterion)
    params.seek(0)
    criterion.seek(0)
    new = MIClassifier(n_members=3, classes=clf.classes_)
    new.load_params(f_params=params, f_criterion=criterion)
    np.testing.assert_allclose(new.predict_proba(X), clf.predict_proba(X), atol=1e-6)
    params.seek(0)
    criterion.seek(0)
    with pytest.raises(ValueError, match="has 3 member"):
        MIClassifier(classes=clf.classes_).load_params(f_params=params, f_criterion=criterion)


def test_a_warm_start_moves_the_ensemble_to_the_new_prior(task):
    X, y, _ = task
    clf = MIClassifier(n_members=2, warm_start=True, **FAST).fit(X, y)
    keep = np.r_[np.flatnonzero(y == 0)[:100], np.flatnonzero(y != 0)]
    clf.fit(X[keep], y[keep])
    expected = np.log(np.bincount(y[keep]) / len(keep))
    np.testing.assert_allclose(clf.module_.shift.numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("n_members", [1, 3])
def test_periodic_embeddings_before_the_network(task, n_members):
    pytest.importorskip("rtdl_num_embeddings")
    X, y, _ = task
    clf = MIClassifier(
        num_embeddings="periodic", n_members=n_members, input_scaling="standard", **FAST
    ).fit(X, y)
    assert clf.module_.embeddings is not None
    first = clf.module_.hidden[0] if n_members == 1 else clf.module_.weights[0][0]
    width_in = first.in_features if n_members == 1 else first.shape[1]
    assert width_in == X.shape[1] * 16  # 16 numbers a feature
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1, atol=1e-6)
    assert MIScorer()(clf, X, y) > 0
    params, criterion = io.BytesIO(), io.BytesIO()
    clf.save_params(f_params=params, f_criterion=criterion)
    for stream in (params, criterion):
        stream.seek(0)
    plain = MIClassifier(
        n_members=n_members, num_embeddings=None, input_scaling="standard", classes=clf.classes_
    )
    with pytest.raises(ValueError, match="num_embeddings='periodic'"):
        plain.load_params(f_params=params, f_criterion=criterion)
    for stream in (params, criterion):
        stream.seek(0)
    same = MIClassifier(
        num_embeddings="periodic",
        n_members=n_members,
        input_scaling="standard",
        classes=clf.classes_,
    )
    same.load_params(f_params=params, f_criterion=criterion)
    np.testing.assert_allclose(same.predict_proba(X), proba, atol=1e-6)


def test_unknown_embeddings_are_refused(task):
    X, y, _ = task
    with pytest.raises(ValueError, match="num_embeddings must be None or 'periodic'"):
        MIClassifier(num_embeddings="linear", **FAST).fit(X, y)
    assert network_of(MIClassifier(num_embeddings="periodic")) is None


def test_a_table_with_categorical_columns_through_a_pipeline():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], 600)
    income = rng.lognormal(size=600)
    y = np.where(colour == "red", 1, 0) ^ (income > 1.5)
    frame = pd.DataFrame({"colour": colour, "income": income})
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["colour"]),
        remainder="passthrough",
    )
    model = make_pipeline(encode, MIClassifier(**{**FAST, "max_epochs": 40}))
    scores = cross_val_score(model, frame, y, scoring=MIScorer(), cv=3)
    entropy = -sum(p * np.log(p) for p in np.bincount(y) / len(y))
    assert np.all(scores > 0.3 * entropy) and np.all(scores <= entropy)
