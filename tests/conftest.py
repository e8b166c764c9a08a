"""Shared fixtures: one torch thread (2 shared CI cores) and a fixed seed per test."""

import numpy as np
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    torch.manual_seed(0)
