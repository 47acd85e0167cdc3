"""Every optimizer under nn.TrainOneStepWithLossScaleCell: with scale 1 it computes exactly what
nn.TrainOneStepCell computes, its tensor updates take no more kernels than without loss scaling, and a step
with a NaN gradient leaves every parameter and every optimizer state exactly as it was."""

import numpy as np
import pytest

import minispore as ms
from minispore import nn
from minispore.graph.parameter import Parameter

OPTIMIZERS = {
    "SGD": lambda ps: nn.SGD(ps, learning_rate=0.1),
    "SGD-momentum-nesterov": lambda ps: nn.SGD(ps, learning_rate=0.05, momentum=0.9, nesterov=True),
    "Momentum": lambda ps: nn.Momentum(ps, learning_rate=0.05, momentum=0.9, weight_decay=0.01),
    "Adam": lambda ps: nn.Adam(ps, learning_rate=0.01, weight_decay=0.01),
    "Adam-amsgrad": lambda ps: nn.Adam(ps, learning_rate=0.01, use_amsgrad=True),
    "LazyAdam": lambda ps: nn.LazyAdam(ps, learning_rate=0.01),
    "AdaMax": lambda ps: nn.AdaMax(ps, learning_rate=0.01),
    "AdamWeightDecay": lambda ps: nn.AdamWeightDecay(ps, learning_rate=0.01, weight_decay=0.01),
    "Adagrad": lambda ps: nn.Adagrad(ps, learning_rate=0.05),
    "Adadelta": lambda ps: nn.Adadelta(ps, learning_rate=1.0),
    "ASGD": lambda ps: nn.ASGD(ps, learning_rate=0.1),
    "Rprop": lambda ps: nn.Rprop(ps, learning_rate=0.01),
    "RMSProp-centered": lambda ps: nn.RMSProp(ps, learning_rate=0.02, momentum=0.5, centered=True),
    "FTRL": lambda ps: nn.FTRL(ps, learning_rate=0.1),
    "ProximalAdagrad": lambda ps: nn.ProximalAdagrad(ps, learning_rate=0.1),
    "Lamb": lambda ps: nn.Lamb(ps, learning_rate=0.02, weight_decay=0.01),
    "LARS": lambda ps: nn.LARS(nn.Momentum(ps, learning_rate=0.1, momentum=0.9), coefficient=0.02),
    "AdaFactor": lambda ps: nn.AdaFactor(ps, learning_rate=0.02, relative_step=False, scale_parameter=False),
    "Adam-lr-schedule": lambda ps: nn.Adam(ps, learning_rate=nn.CosineDecayLR(0.0, 0.01, 10)),
}


class MLP(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(6, 8)
        self.relu = nn.ReLU()
        self.fc2 = nn.Dense(8, 3)

    def construct(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def _state(cell):
    """Every Parameter a cell tree holds, Parameter tuples (optimizer state) included: name -> Parameter."""
    found = {}
    for _, c in cell.cells_and_names():
        for value in vars(c).values():
            items = value if isinstance(value, (tuple, list)) else (value,)
            for p in items:
                if isinstance(p, Parameter):
                    found.setdefault(id(p), p)
    return {p.name + f"#{i}": p for i, p in enumerate(found.values())}


def _fused_updates(graph):
    """The kernels writing tensors (not scalar state such as step counters or ASGD's eta): the updates."""
    return sorted(n.op for n in graph.nodes if n.op in ("FusedElementwise", "MultiTensorFused", "Assign")
                  and ("stores" not in n.attrs or n.attrs["stores"]) and n.size > 1)


def _batches(n, seed=0):
    rng = np.random.default_rng(seed)
    return [(ms.Tensor(rng.normal(size=(8, 6)).astype(np.float32)),
             ms.Tensor(rng.normal(size=(8, 3)).astype(np.float32))) for _ in range(n)]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_under_loss_scaling(name):
    ms.set_seed(7)
    net = MLP()
    opt = OPTIMIZERS[name](net.trainable_params())
    scaled = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net, nn.MSELoss()), opt,
                                              scale_sense=ms.Tensor(np.float32(1.0)))
    ms.set_seed(7)
    ref_net = MLP()
    ref_opt = OPTIMIZERS[name](ref_net.trainable_params())
    plain = nn.TrainOneStepCell(nn.WithLossCell(ref_net, nn.MSELoss()), ref_opt)
    for x, y in _batches(3):
        loss, overflow, _ = scaled(x, y)
        np.testing.assert_array_equal(loss.asnumpy(), plain(x, y).asnumpy())
        assert not overflow.asnumpy()
    state, ref_state = _state(opt), _state(ref_opt)
    for (key, p), q in zip(state.items(), ref_state.values()):
        np.testing.assert_array_equal(p.asnumpy(), q.asnumpy(), err_msg=key)
    for p, q in zip(net.trainable_params(), ref_net.trainable_params()):
        np.testing.assert_array_equal(p.asnumpy(), q.asnumpy(), err_msg=p.name)
    most = len(_fused_updates(plain.compiled_graph()))
    if name == "ASGD":
        # its per-parameter scalar state (eta, mu) is one shared value stored to every parameter's slot;
        # with a select per slot those stores sit between the updates, which then cannot move together
        # into one multi-tensor kernel: still one fused kernel per parameter
        most = len(net.trainable_params())
    assert len(_fused_updates(scaled.compiled_graph())) <= most

    before = {k: p.asnumpy() for k, p in _state(scaled).items() if "scale_sense" not in k}
    x, y = _batches(1, seed=1)[0]
    x_bad = x.asnumpy()
    x_bad[3, 2] = np.nan
    _, overflow, _ = scaled(ms.Tensor(x_bad), y)
    assert bool(overflow.asnumpy())
    for key, p in _state(scaled).items():
        if key in before:
            np.testing.assert_array_equal(p.asnumpy(), before[key], err_msg=key)
    assert len(scaled._compile_cache.entries) == 1
