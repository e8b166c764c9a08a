"""Shared set-up: one torch thread (CI has 2 shared cores) and a fixed torch seed."""

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
