"""Building the loss_scale golden cases (tests/data/golden/loss_scale/*.json) through the public API: the
tiny network they were recorded with (nn.Dense(3, 2) as ``fc`` + nn.MSELoss), its batches, and the
optimizer and scale described in the case's kwargs."""

import numpy as np

import minispore as ms
from minispore import amp, nn

from golden.helpers import array


class DenseNet(nn.Cell):
    """y = x @ W.T + b, parameters ``fc.weight`` (2, 3) and ``fc.bias`` (2,)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2)

    def construct(self, x):
        return self.fc(x)


def network(case):
    """A DenseNet holding the case's initial parameters."""
    net = DenseNet()
    for p in net.trainable_params():
        p.set_data(ms.Tensor(array(case["inputs"]["initial_params"][p.name])))
    return net


def batches(case):
    """[(x, y)] per step, as Tensors (non-finite values kept)."""
    return [(ms.Tensor(array(b["x"])), ms.Tensor(array(b["y"]))) for b in case["inputs"]["batches"]]


def optimizer(spec, params):
    """``nn.<api>(params, **kwargs)`` from the case's optimizer description."""
    spec = dict(spec)
    return getattr(nn, spec.pop("api").split(".")[-1])(params, **spec)


def update_cell(spec):
    """The update cell of the manager the case's ``scale_sense`` describes (``get_update_cell()``)."""
    if spec["api"].startswith("amp.DynamicLossScaleManager"):
        manager = amp.DynamicLossScaleManager(spec["init_loss_scale"], spec["scale_factor"], spec["scale_window"])
    else:
        manager = amp.FixedLossScaleManager(spec["loss_scale"], drop_overflow_update=True)
    return manager.get_update_cell()


def params_of(net):
    return {p.name: p.asnumpy() for p in net.trainable_params()}


def assert_params(actual, expected, step):
    for name, value in expected.items():
        np.testing.assert_allclose(actual[name], array(value), rtol=1e-5, atol=1e-6, err_msg=f"{name} at step {step}")
