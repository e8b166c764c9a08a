import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skmi import PCSoftmaxLoss


def test_loss_is_cross_entropy_of_prior_shifted_logits():
    logits = torch.randn(50, 3)
    y = torch.randint(0, 3, (50,))
    prior = np.array([0.7, 0.2, 0.1])
    loss = PCSoftmaxLoss(prior, tau=1.0)(logits, y)
    expected = F.cross_entropy(logits + torch.log(torch.tensor(prior, dtype=torch.float32)), y)
    assert torch.allclose(loss, expected)


def test_tau_zero_and_uniform_prior_are_plain_cross_entropy():
    logits = torch.randn(40, 4)
    y = torch.randint(0, 4, (40,))
    plain = F.cross_entropy(logits, y)
    assert torch.allclose(PCSoftmaxLoss([0.4, 0.3, 0.2, 0.1], tau=0.0)(logits, y), plain)
    assert torch.allclose(PCSoftmaxLoss([0.25] * 4, tau=1.0)(logits, y), plain)


def test_loss_finite_for_huge_logits_and_tiny_prior():
    logits = torch.tensor([[1e4, -1e4], [-1e4, 1e4]])
    loss = PCSoftmaxLoss([1 - 1e-6, 1e-6])(logits, torch.tensor([0, 1]))
    assert torch.isfinite(loss)


def test_prior_is_a_buffer_and_loads_into_a_placeholder():
    saved = PCSoftmaxLoss([0.9, 0.1]).state_dict()
    fresh = PCSoftmaxLoss([1.0])
    fresh.load_state_dict(saved)
    assert torch.allclose(fresh.log_prior.exp(), torch.tensor([0.9, 0.1]))


def test_class_weight_round_trips_through_a_placeholder():
    saved = PCSoftmaxLoss([0.9, 0.1], class_weight=[1.0, 9.0]).state_dict()
    fresh = PCSoftmaxLoss([1.0])
    fresh.load_state_dict(saved)
    assert torch.allclose(fresh.class_weight, torch.tensor([1.0, 9.0]))


def test_a_state_without_the_prior_keeps_the_current_one():
    loss = PCSoftmaxLoss([0.7, 0.3])
    missing = loss.load_state_dict({}, strict=False).missing_keys
    assert missing == ["log_prior"]
    assert torch.allclose(loss.log_prior.exp(), torch.tensor([0.7, 0.3]))


def test_class_weight_of_another_shape_replaces_the_old_one():
    saved = PCSoftmaxLoss([0.5, 0.3, 0.2], class_weight=[1.0, 2.0, 3.0]).state_dict()
    fresh = PCSoftmaxLoss([0.5, 0.5], class_weight=[1.0, 1.0])
    fresh.load_state_dict(saved)
    assert torch.equal(fresh.class_weight, torch.tensor([1.0, 2.0, 3.0]))
    assert torch.allclose(fresh.log_prior.exp(), torch.tensor([0.5, 0.3, 0.2]))


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter")
def test_a_placeholder_is_refilled_on_the_criterions_own_device():
    # The saved tensors are on the CPU; the loaded prior must stay where the module is
    # (here the meta device, which stands for a GPU on a machine without one).
    saved = PCSoftmaxLoss([0.9, 0.1], class_weight=[1.0, 9.0]).state_dict()
    fresh = PCSoftmaxLoss([1.0]).to("meta")
    fresh.load_state_dict(saved)
    assert fresh.log_prior.device.type == "meta" and fresh.log_prior.shape == (2,)
    assert fresh.class_weight.device.type == "meta"


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter")
def test_set_prior_stays_on_the_criterions_device():
    loss = PCSoftmaxLoss([0.5, 0.5], class_weight=[1.0, 1.0]).to("meta")
    loss.set_prior([0.9, 0.1], class_weight=[1.0, 9.0])
    assert loss.log_prior.device.type == "meta" and loss.class_weight.device.type == "meta"
    cpu = PCSoftmaxLoss([0.5, 0.5])
    cpu.set_prior([0.9, 0.1])
    assert (
        torch.allclose(cpu.log_prior.exp(), torch.tensor([0.9, 0.1])) and cpu.class_weight is None
    )
    with pytest.raises(ValueError, match="2 entries"):
        cpu.set_prior([0.2, 0.3, 0.5])


def test_class_weights_enter_both_loss_forms():
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.3], [-1.0, 1.0]])
    target = torch.tensor([0, 1, 1])
    prior, weight = [0.7, 0.3], torch.tensor([1.0, 4.0])
    loss = PCSoftmaxLoss(prior, class_weight=weight)
    adjusted = logits + torch.log(torch.tensor(prior))
    expected = F.cross_entropy(adjusted, target, weight=weight)
    assert torch.allclose(loss(logits, target), expected)
    assert not torch.allclose(PCSoftmaxLoss(prior)(logits, target), expected)
    rows = torch.tensor([[0.0, 1.0], [1.0, 2.0], [1.0, 0.5]], dtype=torch.float64)
    per = F.cross_entropy(adjusted, target, reduction="none")
    w = torch.tensor([1.0, 2.0, 0.5]) * weight[target]
    assert torch.allclose(loss(logits, rows), (per * w).sum() / w.sum())


def test_set_prior_stores_float32_values_whatever_it_is_given():
    # a float64 prior (numpy's default) must not turn the buffers into float64 (mutation
    # testing, issue 23)
    loss = PCSoftmaxLoss([0.5, 0.5])
    loss.set_prior(np.array([0.75, 0.25]), class_weight=np.array([1.0, 3.0]))
    assert loss.log_prior.dtype == torch.float32 and loss.class_weight.dtype == torch.float32
    torch.testing.assert_close(loss.log_prior.exp(), torch.tensor([0.75, 0.25]))
    torch.testing.assert_close(loss.class_weight, torch.tensor([1.0, 3.0]))
