"""In numba's CUDA simulator (run by ``../test_gpu_target.py`` with NUMBA_ENABLE_CUDASIM=1 set before numba
is imported), the GPU target draws the CPU's dropout masks bit for bit (Philox-4x32-10 under the same key and
counters) and applies the row-sparse optimizer updates of an ``nn.Embedding`` table (LazyAdam, FTRL) as the
CPU does: a net trained on both targets gives the same losses and parameters (rtol 1e-5). Tiny shapes: the
simulator runs each CUDA thread as a Python thread. Collected only in the simulator (conftest.py)."""


import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn
from minispore.nn.initializer import set_seed


class DropoutMLP(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(8, 16)
        self.drop = nn.Dropout(p=0.5)
        self.fc2 = nn.Dense(16, 4)
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.fc2(self.drop(self.relu(self.fc1(x))))


class EmbeddingNet(nn.Cell):
    """ids (batch, 3) -> rows (batch, 3, 4) -> flattened -> Dense: the table's gradient is row-sparse."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(7, 4, embedding_table="normal")
        self.flatten = nn.Flatten()
        self.fc = nn.Dense(12, 3)

    def construct(self, ids):
        return self.fc(self.flatten(self.embed(ids)))


# Repeated ids (within a row and across rows) and a negative one (-1 == 6): the updates sum repeats.
_IDS = np.array([[1, 3, 1], [6, -1, 0], [3, 3, 2], [5, 0, 1]], np.int32)


def _train(target, make, optimizer, x, classes, steps=2):
    ms.set_context(device_target=target)
    set_seed(0)  # the same initial parameters and the same dropout seeds on both targets
    net = make()
    net.set_train(True)  # (dropout is active in training mode only)
    y = Tensor(np.random.default_rng(1).integers(0, classes, x.shape[0]).astype(np.int32))
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), optimizer(net.trainable_params()))
    losses = [float(train(Tensor(x), y).asnumpy()) for _ in range(steps)]
    return np.array(losses), {name: p.asnumpy() for name, p in net.parameters_and_names()}


CASES = {
    "Dropout+Momentum": (DropoutMLP, lambda p: nn.Momentum(p, 0.1, 0.9),
                         np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32), 4),
    "Embedding+LazyAdam": (EmbeddingNet, lambda p: nn.LazyAdam(p, 0.05), _IDS, 3),
    "Embedding+FTRL": (EmbeddingNet, lambda p: nn.FTRL(p, learning_rate=0.1, l1=0.001, l2=0.01), _IDS, 3),
}


@pytest.mark.parametrize("case", CASES)
def test_trains_to_the_cpu_numbers(case):
    cpu_losses, cpu_params = _train("CPU", *CASES[case])
    gpu_losses, gpu_params = _train("GPU", *CASES[case])
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-5)
    assert cpu_losses[-1] != cpu_losses[0]  # the parameters moved
    assert gpu_params.keys() == cpu_params.keys()
    for name, value in cpu_params.items():
        if value.dtype.kind != "f":  # the dropout step counter: one draw per step on both targets
            assert value.shape == gpu_params[name].shape == () and value == gpu_params[name] == 2, name
            continue
        # atol: a parameter that lands near 0 keeps float32's absolute rounding of the sums before it
        np.testing.assert_allclose(gpu_params[name], value, rtol=1e-5, atol=1e-7, err_msg=name)


def test_the_dropout_masks_are_the_cpus_bit_for_bit():
    # x = ones: the output is the mask itself (0 or 1 / keep_prob), drawn at counters 0, 1, 2
    masks = {}
    for target in ("CPU", "GPU"):
        ms.set_context(device_target=target)
        set_seed(3)
        drop = nn.Dropout(p=0.3)
        drop.set_train(True)
        x = Tensor(np.ones((5, 7), np.float32))
        masks[target] = [drop(x).asnumpy() for _ in range(3)]
    for cpu, gpu in zip(masks["CPU"], masks["GPU"]):
        np.testing.assert_array_equal(gpu, cpu)
    assert not np.array_equal(masks["GPU"][0], masks["GPU"][1])  # each call draws a new mask


def test_a_bad_id_is_the_ops_error_and_the_table_is_not_touched():
    ms.set_context(device_target="GPU")
    set_seed(0)
    net = EmbeddingNet()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.LazyAdam(net.trainable_params(), 0.05))
    before = net.embed.embedding_table.asnumpy().copy()
    bad = _IDS.copy()
    bad[1, 1] = 7  # outside [-7, 7)
    with pytest.raises(ValueError, match="out of range"):
        train(Tensor(bad), Tensor(np.zeros(4, np.int32)))
    np.testing.assert_array_equal(net.embed.embedding_table.asnumpy(), before)
