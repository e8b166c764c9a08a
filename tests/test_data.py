import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import Subset, TensorDataset

from skmi._data import ArrayBatches, device_tensors


def test_batches_cover_the_data_once_in_order_without_shuffle():
    X = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = np.arange(5)
    batches = list(ArrayBatches(Dataset(X, y), batch_size=2))
    assert len(batches) == len(ArrayBatches(Dataset(X, y), batch_size=2)) == 3
    np.testing.assert_array_equal(torch.cat([b[0] for b in batches]).numpy(), X)
    np.testing.assert_array_equal(torch.cat([b[1] for b in batches]).numpy(), y)


def test_shuffle_permutes_pairs_together_and_subsets_use_their_indices():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    subset = Subset(Dataset(X, y), [1, 3, 5, 7])
    torch.manual_seed(0)
    Xb, yb = zip(*ArrayBatches(subset, batch_size=3, shuffle=True), strict=True)
    Xb, yb = torch.cat(Xb).numpy(), torch.cat(yb).numpy()
    assert sorted(yb.tolist()) == [1, 3, 5, 7]
    np.testing.assert_array_equal(Xb[:, 0], 2 * yb)  # rows stay with their labels


def test_prediction_batches_have_no_labels():
    X = np.ones((4, 3), dtype=np.float32)
    (Xb, yb), *_ = list(ArrayBatches(Dataset(X, None), batch_size=8))
    assert Xb.shape == (4, 3) and yb is None


def test_other_datasets_and_loader_options_fall_back_to_dataloader():
    data = TensorDataset(torch.ones(5, 2), torch.zeros(5))
    assert sum(len(b[0]) for b in ArrayBatches(data, batch_size=2)) == 5
    X = np.ones((5, 2), dtype=np.float32)
    loader = ArrayBatches(Dataset(X, np.zeros(5)), batch_size=2, num_workers=0)
    assert sum(len(b[0]) for b in loader) == 5


def test_batches_stay_on_the_arrays_device_without_a_target():
    X = np.ones((6, 2), dtype=np.float32)
    batches = list(ArrayBatches(Dataset(X, np.zeros(6)), batch_size=4, device="cpu"))
    assert [len(b[0]) for b in batches] == [4, 2]
    assert all(b[0].device.type == "cpu" and not b[0].is_pinned() for b in batches)


def test_device_tensors_is_a_no_op_on_the_cpu():
    X, y = np.ones((4, 2), dtype=np.float32), np.zeros(4, dtype=np.int64)
    assert device_tensors(X, y, "cpu") is None
