"""Property-based tests (hypothesis) of the loss, the PMI and the MI metrics, and their
numerical safety at extremes, against float64 references."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp

from skmi import PCSoftmaxLoss
from skmi.metrics import mutual_info_from_logits, mutual_info_from_proba, pointwise_mutual_info

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def problems(draw, max_classes=6, max_samples=40, logit_range=finite):
    k = draw(st.integers(2, max_classes))
    n = draw(st.integers(k, max_samples))
    logits = draw(arrays(np.float64, (n, k), elements=logit_range))
    # every class present, the rest random
    y = np.concatenate(
        [np.arange(k), draw(arrays(np.int64, n - k, elements=st.integers(0, k - 1)))]
    )
    prior = draw(arrays(np.float64, k, elements=st.floats(1e-4, 1.0)))
    return logits, y, prior / prior.sum()


def reference_pmi(logits, y, prior):
    return logits[np.arange(len(y)), y] - logsumexp(logits + np.log(prior), axis=1)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_pmi_is_finite_shaped_and_matches_float64_reference(problem):
    logits, y, prior = problem
    pmi = pointwise_mutual_info(y, logits, prior=prior)
    assert pmi.shape == (len(y),) and np.isfinite(pmi).all()
    np.testing.assert_allclose(pmi, reference_pmi(logits, y, prior), rtol=1e-12, atol=1e-12)
    # PMI never exceeds -log prior of the true class (q(y|x) <= 1)
    assert np.all(pmi <= -np.log(prior[y]) + 1e-9)


@settings(max_examples=60, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_pmi_is_invariant_to_relabelling_the_classes(problem, random):
    logits, y, prior = problem
    k = logits.shape[1]
    perm = np.array(random.sample(range(k), k))  # new label of old class j is perm[j]
    new_logits = np.empty_like(logits)
    new_logits[:, perm] = logits
    new_prior = np.empty_like(prior)
    new_prior[perm] = prior
    np.testing.assert_allclose(
        pointwise_mutual_info(perm[y], new_logits, prior=new_prior, labels=np.arange(k)),
        pointwise_mutual_info(y, logits, prior=prior, labels=np.arange(k)),
        rtol=1e-12,
        atol=1e-12,
    )


@settings(max_examples=60, deadline=None)
@given(problems())
def test_mi_from_logits_and_from_proba_agree(problem):
    logits, y, _ = problem
    prior = np.bincount(y, minlength=logits.shape[1]) / len(y)
    proba = np.exp(
        logits + np.log(prior) - logsumexp(logits + np.log(prior), axis=1, keepdims=True)
    )
    proba = proba / proba.sum(axis=1, keepdims=True)
    if proba[np.arange(len(y)), y].min() < np.finfo(np.float64).eps:
        return  # clipped with a warning by design; covered elsewhere
    np.testing.assert_allclose(
        mutual_info_from_proba(y, proba), mutual_info_from_logits(y, logits), rtol=1e-8, atol=1e-8
    )


@settings(max_examples=60, deadline=None)
@given(problems(logit_range=st.floats(-30, 30)), st.floats(0.0, 2.0))
def test_loss_is_finite_and_equals_the_float64_formula(problem, tau):
    logits, y, prior = problem
    loss = PCSoftmaxLoss(prior, tau=tau)(torch.tensor(logits), torch.tensor(y))
    adjusted = logits + tau * np.log(prior)
    expected = -(adjusted[np.arange(len(y)), y] - logsumexp(adjusted, axis=1)).mean()
    assert torch.isfinite(loss)
    assert float(loss) == pytest.approx(expected, rel=1e-5, abs=1e-5)  # float32 compute


@settings(max_examples=40, deadline=None)
@given(problems(logit_range=st.floats(-30, 30)))
def test_uniform_prior_gives_plain_softmax_cross_entropy(problem):
    logits, y, _ = problem
    k = logits.shape[1]
    logits_t, y_t = torch.tensor(logits), torch.tensor(y)
    pc = PCSoftmaxLoss(np.full(k, 1 / k), tau=1.0)(logits_t, y_t)
    plain = torch.nn.functional.cross_entropy(logits_t.float(), y_t)
    assert float(pc) == pytest.approx(float(plain), rel=1e-6, abs=1e-6)


# ------------------------------------------------------------------ extremes
def test_logits_of_1e4_stay_finite_and_exact():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 0.0, 1e4]])
    y = np.array([0, 1, 0])
    prior = np.array([0.5, 0.3, 0.2])
    pmi = pointwise_mutual_info(y, logits, prior=prior, labels=[0, 1, 2])
    np.testing.assert_allclose(pmi, reference_pmi(logits, y, prior))
    assert pmi[0] == pytest.approx(-np.log(0.5))  # certain and right: -log prior
    assert pmi[2] == pytest.approx(-1e4 - np.log(0.2))  # certain and wrong: very negative
    loss = PCSoftmaxLoss(prior)(torch.tensor(logits), torch.tensor(y))
    assert torch.isfinite(loss)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_logits_give_a_float32_loss_close_to_float64(dtype):
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(512, 10, generator=gen) * 8
    y = torch.randint(0, 10, (512,), generator=gen)
    prior = np.geomspace(1, 1e-4, 10)
    prior /= prior.sum()
    loss = PCSoftmaxLoss(prior)(logits.to(dtype), y)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    low = logits.to(dtype).double().numpy()
    adjusted = low + np.log(prior)
    expected = -(adjusted[np.arange(512), y.numpy()] - logsumexp(adjusted, axis=1)).mean()
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_imbalance_of_one_to_ten_thousand_and_a_hundred_classes():
    # priors down to 1e-4 relative, 100 classes: loss, PMI and MI finite and exact
    k = 100
    prior = np.geomspace(1, 1e-4, k)
    prior /= prior.sum()
    rng = np.random.default_rng(0)
    y = np.concatenate([np.arange(k), rng.choice(k, size=5000, p=prior)])
    logits = rng.normal(scale=3, size=(len(y), k))
    pmi = pointwise_mutual_info(y, logits, prior=prior)
    np.testing.assert_allclose(pmi, reference_pmi(logits, y, prior), rtol=1e-12)
    loss = PCSoftmaxLoss(prior)(torch.tensor(logits), torch.tensor(y))
    adjusted = logits + np.log(prior)
    expected = -(adjusted[np.arange(len(y)), y] - logsumexp(adjusted, axis=1)).mean()
    assert float(loss) == pytest.approx(expected, rel=1e-5)
