"""``optimizer.describe()``: one row per parameter (optimizer order) with group, learning rate,
weight decay (and whether it applies), grad centralization and state slots; a header with the class,
global_step and loss_scale. Checked on the optimizer guide's parameter-group examples and on the
cases where the answer is easy to get wrong (beta/gamma filter, dynamic lists, schedules, LARS,
optimizers that bypass the shared gradient pipeline)."""

import numpy as np

import minispore as ms
from minispore import nn, ops


class Net(nn.Cell):
    """The optimizer guide's network: a scalar Parameter and a convolution."""

    def __init__(self):
        super().__init__()
        self.matmul = ops.MatMul()
        self.conv = nn.Conv2d(1, 6, 5, pad_mode="valid")
        self.param = ms.Parameter(ms.Tensor(np.array([1.0], np.float32)), "param")

    def construct(self, x):
        x = self.conv(x)
        x = x * self.param
        return self.matmul(x, x)


class BNNet(nn.Cell):
    """Conv (with bias) + BatchNorm + Dense: parameters named gamma/beta for the decay filter."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, pad_mode="valid", has_bias=True)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Dense(4, 3)

    def construct(self, x):
        return self.fc(self.bn(self.conv(x)))


def _split(net):
    conv = list(filter(lambda x: "conv" in x.name, net.trainable_params()))
    no_conv = list(filter(lambda x: "conv" not in x.name, net.trainable_params()))
    return conv, no_conv


def _step(optim, n=1):
    grads = tuple(ms.Tensor(np.full(p.shape, 0.5, np.float32)) for p in optim.parameters)
    for _ in range(n):
        optim(grads)


def _row(name, shape, group, lr, wd, applied, gc, state):
    return {"name": name, "shape": shape, "group": group, "lr": lr, "weight_decay": wd, "decay_applied": applied,
            "grad_centralization": gc, "state": state}


def test_guide_three_groups_order_params():
    net = Net()
    conv_params, no_conv_params = _split(net)
    group_params = [{"params": conv_params, "weight_decay": 0.01, "grad_centralization": True},
                    {"params": no_conv_params, "lr": 0.01},
                    {"order_params": net.trainable_params()}]
    optim = nn.Momentum(group_params, learning_rate=0.1, momentum=0.9, weight_decay=0.0)
    d = optim.describe()
    assert isinstance(d, str)
    assert d.header == "Momentum: global_step=0, loss_scale=1.0, 2 parameters, 2 groups"
    assert d.rows == [
        _row("param", (1,), 1, "0.01", 0.0, False, False, ("moments.param",)),
        _row("conv.weight", (6, 1, 5, 5), 0, "0.1", 0.01, True, False, ("moments.conv.weight",)),
    ]
    lines = d.splitlines()
    assert lines[0] == d.header
    assert lines[1] == "optimizer-wide Parameters: global_step, learning_rate_group_0, learning_rate_group_1, momentum"
    assert lines[2].split() == ["parameter", "shape", "group", "learning", "rate", "weight", "decay", "decay",
                                "applied", "grad", "centralization", "state"]
    assert lines[4].split() == ["param", "(1,)", "1", "0.01", "0.0", "no", "no", "moments.param"]
    # requested, but MindSpore centralizes only gradients with shape[1] % 16 == 0
    assert lines[5].split() == ["conv.weight", "(6,", "1,", "5,", "5)", "0", "0.1", "0.01", "yes", "no",
                                "(shape[1]%16!=0)", "moments.conv.weight"]


def test_guide_groups_fixed_lr_and_polynomial_schedule():
    net = Net()
    conv_params, no_conv_params = _split(net)
    polynomial_decay_lr = nn.PolynomialDecayLR(learning_rate=0.1, end_learning_rate=0.01, decay_steps=4, power=0.5)
    group_params = [{"params": conv_params, "weight_decay": 0.01, "lr": 0.01},
                    {"params": no_conv_params, "lr": polynomial_decay_lr}]
    optim = nn.Momentum(group_params, learning_rate=0.1, momentum=0.9, weight_decay=0.0)
    # Among dynamic group rates, MindSpore evaluates the fixed one as float32 lr + 1.0 - 1.0.
    assert optim.describe().rows == [
        _row("conv.weight", (6, 1, 5, 5), 0, "0.01 (used: 0.00999999)", 0.01, True, False, ("moments.conv.weight",)),
        _row("param", (1,), 1, "PolynomialDecayLR at step 0 -> 0.1", 0.0, False, False, ("moments.param",)),
    ]
    _step(optim, 2)
    d = optim.describe()
    assert d.header == "Momentum: global_step=2, loss_scale=1.0, 2 parameters, 2 groups"
    assert d.rows[1]["lr"] == "PolynomialDecayLR at step 2 -> 0.07363961"


def test_ungrouped_beta_gamma_filter_dynamic_list_adam():
    net = BNNet()
    lr = nn.piecewise_constant_lr([2, 5, 10], [0.1, 0.05, 0.01])
    optim = nn.Adam(net.trainable_params(), learning_rate=lr, weight_decay=0.1, loss_scale=2.0)
    d = optim.describe()
    assert d.header == "Adam: global_step=0, loss_scale=2.0, 6 parameters"
    assert d.splitlines()[1] == "optimizer-wide Parameters: global_step, learning_rate, beta1_power, beta2_power"
    step0 = "list[10] at step 0 -> 0.1"

    def adam(name, shape, applied):
        return _row(name, shape, 0, step0, 0.1, applied, False, (f"moment1.{name}", f"moment2.{name}"))

    assert d.rows == [adam("conv.weight", (2, 1, 3, 3), True), adam("conv.bias", (2,), True),
                      adam("bn.gamma", (2,), False), adam("bn.beta", (2,), False),
                      adam("fc.weight", (3, 4), True), adam("fc.bias", (3,), True)]
    assert "no ('beta'/'gamma' in name)" in d
    _step(optim, 3)
    assert {r["lr"] for r in optim.describe().rows} == {"list[10] at step 3 -> 0.05"}


def test_dynamic_list_past_its_end():
    net = Net()
    optim = nn.SGD(net.trainable_params(), learning_rate=[0.1, 0.05])
    optim.global_step.set_data(ms.Tensor(np.array([2], np.int32)))
    assert optim.describe().rows[0]["lr"] == "list[2] at step 2 -> out of range (the step fails)"


def test_grouped_decay_applies_to_beta_gamma_and_gc_skips_1d():
    net = BNNet()
    bn = [p for p in net.trainable_params() if "bn" in p.name]
    rest = [p for p in net.trainable_params() if "bn" not in p.name]
    optim = nn.SGD([{"params": bn, "weight_decay": 0.5}, {"params": rest, "grad_centralization": True}],
                   learning_rate=0.1, momentum=0.9)
    rows = {r["name"]: r for r in optim.describe().rows}
    # grouped: no name filter, every parameter of a group with weight_decay > 0 decays
    assert rows["bn.gamma"]["decay_applied"] and rows["bn.beta"]["decay_applied"]
    assert not rows["fc.weight"]["decay_applied"]
    # centralization only where ndim > 1 and shape[1] % 16 == 0 (MindSpore): none of these
    assert not any(rows[n]["grad_centralization"] for n in ("conv.weight", "fc.weight", "conv.bias"))
    assert "no (1-D)" in optim.describe() and "no (shape[1]%16!=0)" in optim.describe()
    assert rows["fc.bias"]["state"] == ("accum.fc.bias", "stat.fc.bias")  # MindSpore SGD's slots
    assert [r["group"] for r in optim.describe().rows] == [0, 0, 1, 1, 1, 1]


def test_schedule_ungrouped_adam_weight_decay_bypasses_gc():
    net = Net()
    conv_params, no_conv_params = _split(net)
    sched = nn.CosineDecayLR(min_lr=0.0001, max_lr=0.01, decay_steps=6)
    optim = nn.AdamWeightDecay([{"params": conv_params, "grad_centralization": True, "weight_decay": 0.01},
                                {"params": no_conv_params}], learning_rate=sched)
    d = optim.describe()
    assert d.rows[0] == _row("conv.weight", (6, 1, 5, 5), 0, "CosineDecayLR at step 0 -> 0.01", 0.01, True, False,
                             ("adam_m.conv.weight", "adam_v.conv.weight"))
    assert "no (ignored by AdamWeightDecay)" in d
    _step(optim, 3)
    expected = 0.0001 + 0.5 * (0.01 - 0.0001) * (1 + np.cos(np.pi * 3 / 6))
    value = float(optim.describe().rows[1]["lr"].split("-> ")[1])
    np.testing.assert_allclose(value, expected, rtol=1e-6)


def test_lars_wrapper_and_state_of_inner_optimizer():
    net = BNNet()
    optim = nn.LARS(nn.Momentum(net.trainable_params(), 0.1, 0.9, weight_decay=0.01, loss_scale=4.0))
    d = optim.describe()
    assert d.header == "LARS(Momentum): global_step=0, loss_scale=4.0, 6 parameters"
    rows = {r["name"]: r for r in d.rows}
    assert rows["conv.weight"]["decay_applied"] and rows["conv.weight"]["state"] == ("moments.conv.weight",)
    # LARS applies the decay only to the parameters its lars_filter keeps (not 'bias')
    assert not rows["fc.bias"]["decay_applied"] and "no (lars_filter)" in d
    assert not rows["bn.gamma"]["decay_applied"]


def test_state_slots_with_other_prefixes():
    net = Net()
    asgd = nn.ASGD(net.trainable_params())
    assert asgd.describe().rows[1]["state"] == ("mu_conv.weight", "eta_conv.weight", "ax_.conv.weight")
    ada = nn.AdaFactor(net.trainable_params(), weight_decay=0.1, loss_scale=8.0)
    d = ada.describe()
    assert d.rows[1]["state"] == ("exp_avg.conv.weight", "exp_avg_sq_row_conv.weight",
                                  "exp_avg_sq_col_conv.weight", "exp_avg_sq_conv.weight")
    assert d.rows[1]["lr"] == "relative_step at t=1 -> 0.01 x max(eps2, RMS(w))"
    assert all(r["decay_applied"] for r in d.rows)  # AdaFactor decays every parameter
    assert "loss_scale=8.0 (accepted; gradients are not divided by it)" in d.header


def test_printable(capsys):
    optim = nn.Momentum(Net().trainable_params(), learning_rate=0.01, momentum=0.9)
    print(optim.describe())
    assert capsys.readouterr().out == str(optim.describe()) + "\n"
