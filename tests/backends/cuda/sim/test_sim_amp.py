"""float16 on the GPU target in numba's CUDA simulator (run by ``../test_gpu_target.py`` with
NUMBA_ENABLE_CUDASIM=1): an MLP trained with automatic mixed precision and loss scaling gives the CPU's
losses and parameters (rtol 1e-5). Both targets keep float16 in memory, compute in float32 and round once
per store (elementwise kernels load float16 as float32; other arithmetic kernels run between Casts,
``backends/half_passes.py``), so their numbers agree. Collected only in the simulator (conftest.py)."""


import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from minispore.nn.initializer import set_seed

from golden.networks import TinyMLP


def _o2_dynamic():
    return "O2", ms.amp.DynamicLossScaleManager(2.0**10, 2, 50), 1.0


def _o3_fixed():
    return "O3", ms.amp.FixedLossScaleManager(128.0, drop_overflow_update=False), 128.0


def _o1_fixed_dropping():
    return "O1", ms.amp.FixedLossScaleManager(64.0, drop_overflow_update=True), 1.0


CASES = {"O2+DynamicLossScaleManager": _o2_dynamic, "O3+FixedLossScaleManager": _o3_fixed,
         "O1+FixedLossScaleManager(drop_overflow_update)": _o1_fixed_dropping}


def _train(target, case, steps=3):
    ms.set_context(device_target=target)
    set_seed(0)
    level, manager, optimizer_scale = CASES[case]()
    net = TinyMLP()
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(4, 8)).astype(np.float32))
    y = Tensor(rng.integers(0, 4, 4).astype(np.int32))
    opt = nn.Momentum(net.trainable_params(), 0.05, 0.9, loss_scale=optimizer_scale)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = ms.amp.build_train_network(net, opt, loss, level=level, loss_scale_manager=manager)
    losses = []
    for _ in range(steps):
        out = train(x, y)
        losses.append(float((out[0] if isinstance(out, tuple) else out).asnumpy()))
    graph = train.compiled_graph()
    return np.array(losses), {p.name: p.asnumpy() for p in net.trainable_params()}, graph


@pytest.mark.parametrize("case", CASES)
def test_amp_trains_to_the_cpu_numbers(case):
    cpu_losses, cpu_params, _ = _train("CPU", case)
    gpu_losses, gpu_params, graph = _train("GPU", case)
    assert any(n.dtype == np.float16 for n in graph.nodes)  # (it really ran float16 on the GPU)
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-5)
    assert cpu_losses[-1] < cpu_losses[0]  # it trains, so the parameters moved
    for name, value in cpu_params.items():
        assert gpu_params[name].dtype == value.dtype, name
        np.testing.assert_allclose(gpu_params[name].astype(np.float32), value.astype(np.float32), rtol=1e-5,
                                   atol=1e-7, err_msg=name)


class Float16Ops(nn.Cell):
    """A broadcasting map, Sin, a Gather (a bit copy), a reduction between Casts, all on float16."""

    def construct(self, x, row, idx):
        y = ops.mul(x, row) + ops.sin(x)
        z = ops.gather(y, idx, 0)
        return z, ops.reduce_sum(ops.relu(z), 1), ops.cast(z, ms.float32)


def test_float16_ops_give_the_cpu_numbers():
    rng = np.random.default_rng(1)
    args = (rng.normal(size=(4, 8)).astype(np.float16), rng.normal(size=(8,)).astype(np.float16),
            np.array([3, 0, 3], np.int32))
    outs = {}
    for target in ("CPU", "GPU"):
        ms.set_context(device_target=target)
        outs[target] = [o.asnumpy() for o in Float16Ops()(*[Tensor(a) for a in args])]
    for cpu, gpu in zip(outs["CPU"], outs["GPU"]):
        assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
        # float32 compute rounded once to float16 on both: equal, except where Sin's float32 values (the
        # GPU's float32-only sin is within 1 ulp of the CPU's) round to neighbouring float16s
        np.testing.assert_allclose(gpu.astype(np.float32), cpu.astype(np.float32), rtol=1e-3, atol=1e-3)
