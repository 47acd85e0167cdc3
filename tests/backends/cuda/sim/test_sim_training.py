"""In numba's CUDA simulator (run by ``../test_gpu_target.py`` with NUMBA_ENABLE_CUDASIM=1 set before numba
is imported), the GPU target trains an MLP with Adam + weight decay, LeNet-5 (examples/lenet.py, batch 2)
and a conv + BatchNorm2d + AvgPool2d net with Momentum to the CPU's losses and parameters (rtol 1e-5).
Small batches and few steps: the simulator runs each CUDA thread as a Python thread. Collected only in the
simulator (the main test process never imports numba.cuda)."""


import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn
from minispore.nn.initializer import set_seed

from golden.networks import (
    LeNet5,  # (the example's LeNet-5, examples/lenet.py)
    TinyMLP,
)


class SmallBNNet(nn.Cell):
    """Conv ('same'), BatchNorm2d (batch statistics, running-stat updates), ReLU, a padded 3x3/2 AvgPool2d
    and Dense at an 8x8 input: the batch-norm and average-pool kernels and their gradients."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, pad_mode="same")
        self.bn = nn.BatchNorm2d(2)
        self.relu = nn.ReLU()
        self.pool = nn.AvgPool2d(kernel_size=3, stride=2, pad_mode="same")
        self.flatten = nn.Flatten()
        self.fc = nn.Dense(2 * 4 * 4, 3)

    def construct(self, x):
        return self.fc(self.flatten(self.pool(self.relu(self.bn(self.conv(x))))))


def _train(target, make, optimizer, shape, classes, batch, steps):
    ms.set_context(device_target=target)
    set_seed(0)
    net = make()
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(batch, *shape)).astype(np.float32))
    y = Tensor(rng.integers(0, classes, batch).astype(np.int32))
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), optimizer(net.trainable_params()))
    losses = [float(train(x, y).asnumpy()) for _ in range(steps)]
    return np.array(losses), {p.name: p.asnumpy() for p in net.trainable_params()}


CASES = {
    "MLP+Adam(weight_decay)": (TinyMLP, lambda p: nn.Adam(p, 0.01, weight_decay=0.01), (8,), 4, 4, 3),
    # LeNet-5 itself (1x32x32) at batch 2: ~30 s in the simulator (its GEMMs: ``gemm_rows_kernel``)
    "LeNet5+Momentum": (LeNet5, lambda p: nn.Momentum(p, 0.05, 0.9), (1, 32, 32), 10, 2, 2),
    "SmallBNNet+Momentum": (SmallBNNet, lambda p: nn.Momentum(p, 0.05, 0.9), (1, 8, 8), 3, 2, 2),
}


@pytest.mark.parametrize("case", CASES)
def test_trains_to_the_cpu_numbers(case):
    cpu_losses, cpu_params = _train("CPU", *CASES[case])
    gpu_losses, gpu_params = _train("GPU", *CASES[case])
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-5)
    assert cpu_losses[-1] < cpu_losses[0]  # it trains, so the parameters moved
    for name, value in cpu_params.items():
        # atol: a parameter that lands near 0 keeps float32's absolute rounding of the sums before it
        np.testing.assert_allclose(gpu_params[name], value, rtol=1e-5, atol=1e-7, err_msg=name)


def test_a_label_out_of_range_is_the_ops_error_not_an_out_of_bounds_access():
    ms.set_context(device_target="GPU")
    net = TinyMLP()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    x = Tensor(np.ones((2, 8), np.float32))
    with pytest.raises(ValueError, match="out of range"):
        nn.WithLossCell(net, loss)(x, Tensor(np.array([1, 7], np.int32)))
