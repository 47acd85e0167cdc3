"""The code cells of MindSpore's optimizer guide, run with ``mindspore`` -> ``minispore`` and nothing
else changed.

Sources: the tutorial "Optimizer" (tutorials/source_en/advanced/modules/optim.md and optimizer.md of
MindSpore 2.x), the 1.x programming-guide page it grew from (``from mindspore import nn, Model``,
``piecewise_constant_lr([2, 5, 10], ...)``, ``order_params``) and the parameter-group example of the
``nn.Momentum`` API docstring. Each test is one cell: the cell's code verbatim, then checks of what
the guide prints or relies on.

The guide builds its optimizers but never trains its ``Net`` (the 2-D ``ops.MatMul`` cannot take the
4-D convolution output, in MindSpore as here), so each optimizer is then stepped with fixed
gradients of the parameters' shapes and compared with the update formula written out in numpy.
"""
# The cells are the guide's code verbatim: its super(Net, self), import order and long comment lines stay.
# ruff: noqa: UP008, I001, E501

import numpy as np
import pytest

import minispore as ms
import minispore.ops as ops
from minispore import nn

# ---- the guide's first cell: the network every later cell uses ------------------------------


class Net(nn.Cell):
    def __init__(self):
        super(Net, self).__init__()
        self.matmul = ops.MatMul()
        self.conv = nn.Conv2d(1, 6, 5, pad_mode="valid")
        self.param = ms.Parameter(ms.Tensor(np.array([1.0], np.float32)), 'param')

    def construct(self, x):
        x = self.conv(x)
        x = x * self.param
        out = self.matmul(x, x)
        return out


# ---- stepping an optimizer with known gradients ------------------------------------------------


def _grads(params, seed=0):
    rng = np.random.default_rng(seed)
    return {p.name: rng.standard_normal(p.shape).astype(np.float32) for p in params}


def _step(optim, grads):
    """One optimizer step with gradients {name: array}; returns the parameters before it (float64)."""
    before = {p.name: p.asnumpy().astype(np.float64) for p in optim.parameters}
    optim(tuple(ms.Tensor(grads[p.name]) for p in optim.parameters))
    return before


def _check(params, expected):
    for p in params:
        np.testing.assert_allclose(p.asnumpy(), expected[p.name], rtol=1e-5, atol=1e-6, err_msg=p.name)


def _momentum_reference(w, g, accum, lr, momentum=0.9, wd=0.0):
    """MindSpore's Momentum after the base's weight decay: accum = m*accum + (g + wd*w); w -= lr*accum."""
    g = g + wd * w
    accum = momentum * accum + g
    return w - lr * accum, accum


# ---- the cells ------------------------------------------------------------------------------


def test_cell_trainable_params_adam(capsys):
    net = Net()

    # Parameters to be updated for the configuration optimizer
    optim = nn.Adam(params=net.trainable_params())
    print(net.trainable_params())

    out = capsys.readouterr().out.strip()
    assert out == ("[Parameter (name=param, shape=(1,), dtype=Float32, requires_grad=True), "
                   "Parameter (name=conv.weight, shape=(6, 1, 5, 5), dtype=Float32, requires_grad=True)]")
    assert [p.name for p in optim.parameters] == ["param", "conv.weight"]
    # Adam's defaults (lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8): the first step is
    # w -= lr * sqrt(1 - beta2) / (1 - beta1) * m / (sqrt(v) + eps) with m = 0.1 g, v = 0.001 g^2.
    grads = _grads(optim.parameters)
    before = _step(optim, grads)
    lr_t = 1e-3 * np.sqrt(1 - 0.999) / (1 - 0.9)
    _check(optim.parameters, {k: w - lr_t * (0.1 * grads[k]) / (np.sqrt(0.001 * grads[k].astype(np.float64) ** 2)
                                                                   + 1e-8) for k, w in before.items()})


def test_cell_requires_grad_false(capsys):
    net = Net()

    conv_params = [param for param in net.get_parameters() if 'conv' in param.name]
    for conv_param in conv_params:
        conv_param.requires_grad = False
    print(net.trainable_params())
    optim = nn.Adam(params=net.trainable_params())

    out = capsys.readouterr().out.strip()
    assert out == "[Parameter (name=param, shape=(1,), dtype=Float32, requires_grad=True)]"
    assert [p.name for p in optim.parameters] == ["param"]
    w_conv = net.conv.weight.asnumpy()
    _step(optim, _grads(optim.parameters))
    np.testing.assert_array_equal(net.conv.weight.asnumpy(), w_conv)  # not optimized
    assert not np.array_equal(net.param.asnumpy(), [1.0])


def test_cell_custom_filter_adam():
    net = Net()

    params_all = net.get_parameters()
    no_conv_params = list(filter(lambda x: 'conv' not in x.name, params_all))
    optim = nn.Adam(params=no_conv_params, learning_rate=0.1, weight_decay=0.0)

    assert [p.name for p in optim.parameters] == ["param"]

    conv_params = list(filter(lambda x: 'conv' in x.name, net.trainable_params()))
    optim = nn.Adam(params=conv_params)

    assert [p.name for p in optim.parameters] == ["conv.weight"]
    assert [s.name for s in optim.moment1] == ["moment1.conv.weight"]
    _step(optim, _grads(optim.parameters))
    np.testing.assert_array_equal(net.param.asnumpy(), [1.0])


def test_cell_fixed_lr_momentum_model():
    from minispore import nn, Model

    net = Net()
    optim = nn.Momentum(params=net.trainable_params(), learning_rate=0.01, momentum=0.9)
    loss = nn.SoftmaxCrossEntropyWithLogits()
    model = Model(net, loss_fn=loss, optimizer=optim)

    assert isinstance(model.train_network, nn.TrainOneStepCell)
    assert model.train_network.optimizer is optim
    assert float(optim.get_lr().asnumpy()) == pytest.approx(0.01)
    grads = _grads(optim.parameters)
    before = _step(optim, grads)
    _check(optim.parameters, {k: _momentum_reference(w, grads[k], 0.0, 0.01)[0] for k, w in before.items()})


def test_cell_piecewise_constant_lr_sgd(capsys):
    from minispore import nn

    milestone = [2, 5, 10]
    learning_rates = [0.1, 0.05, 0.01]
    lr = nn.dynamic_lr.piecewise_constant_lr(milestone, learning_rates)
    print(lr)

    assert capsys.readouterr().out.strip() == "[0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.01, 0.01]"
    assert nn.piecewise_constant_lr(milestone, learning_rates) == lr

    net = Net()
    # The optimizer sets the network parameters to be optimized and the piecewise constant learning rate.
    optim = nn.SGD(net.trainable_params(), learning_rate=lr)

    # step i uses lr[i]: plain SGD, w -= lr[i] * g
    grads = _grads(optim.parameters)
    for i in range(len(lr)):
        assert float(optim.get_lr().asnumpy()) == pytest.approx(lr[i])
        before = _step(optim, grads)
        _check(optim.parameters, {k: w - lr[i] * grads[k] for k, w in before.items()})
    assert int(optim.global_step.asnumpy()[0]) == 10


def test_cell_polynomial_decay_lr(capsys):
    from minispore import nn
    from minispore import Tensor
    from minispore import dtype as mstype

    polynomial_decay_lr = nn.learning_rate_schedule.PolynomialDecayLR(learning_rate=0.1,
                                                                      end_learning_rate=0.01,
                                                                      decay_steps=4,
                                                                      power=0.5 )

    global_step = Tensor(2, mstype.int32)
    result = polynomial_decay_lr(global_step)
    print(result)

    # the guide shows 0.0736396 (MindSpore 1.x printed 6 significant digits; 2.x prints numpy's str)
    out = capsys.readouterr().out.strip()
    assert out == str(result.asnumpy())
    assert float(out) == pytest.approx(0.0736396, abs=1e-7)

    # SGD driven by the schedule: lr(step) = 0.09 * (1 - min(step, 4) / 4) ** 0.5 + 0.01
    net = Net()
    optim = nn.SGD(net.trainable_params(), learning_rate=polynomial_decay_lr)
    grads = _grads(optim.parameters, seed=1)
    for step in range(6):
        lr = 0.09 * (1 - min(step, 4) / 4) ** 0.5 + 0.01
        before = _step(optim, grads)
        _check(optim.parameters, {k: w - lr * grads[k] for k, w in before.items()})


def test_cell_exponential_decay_lr_momentum(capsys):
    import minispore as ms

    learning_rate = 0.1  # Initial value of the learning rate
    decay_rate = 0.9     # Decay rate
    decay_steps = 4      #Number of decay steps
    step_per_epoch = 2

    exponential_decay_lr = nn.ExponentialDecayLR(learning_rate, decay_rate, decay_steps)

    for i in range(decay_steps):
        step = ms.Tensor(i, ms.int32)
        result = exponential_decay_lr(step)
        print(f"step{i+1}, lr:{result}")

    net = Net()

    # The optimizer sets the learning rate and computes the learning rate based on the exponential decay function.
    optim = nn.Momentum(net.trainable_params(), learning_rate=exponential_decay_lr, momentum=0.9)

    assert step_per_epoch == 2
    assert capsys.readouterr().out.split("\n")[:4] == [
        "step1, lr:0.1", "step2, lr:0.097400375", "step3, lr:0.094868325", "step4, lr:0.09240211"]
    grads = _grads(optim.parameters, seed=2)
    accum = {p.name: 0.0 for p in optim.parameters}
    for i in range(3):
        before = _step(optim, grads)
        lr = 0.1 * 0.9 ** (i / 4)
        expected = {}
        for k, w in before.items():
            expected[k], accum[k] = _momentum_reference(w, grads[k], accum[k], lr)
        _check(optim.parameters, expected)


def test_cell_weight_decay_momentum():
    net = Net()
    optimizer = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9, weight_decay=0.9)

    # no 'beta'/'gamma' in the names: both parameters decay (g + 0.9 * w)
    assert optimizer.decay == [0.9, 0.9]
    grads = _grads(optimizer.parameters, seed=3)
    before = _step(optimizer, grads)
    _check(optimizer.parameters,
           {k: _momentum_reference(w, grads[k], 0.0, 0.01, wd=0.9)[0] for k, w in before.items()})


def test_cell_dynamic_weight_decay():
    from minispore.nn import Cell
    from minispore import ops, nn
    import minispore as ms

    class ExponentialWeightDecay(Cell):

        def __init__(self, weight_decay, decay_rate, decay_steps):
            super(ExponentialWeightDecay, self).__init__()
            self.weight_decay = weight_decay
            self.decay_rate = decay_rate
            self.decay_steps = decay_steps
            self.pow = ops.Pow()
            self.cast = ops.Cast()

        def construct(self, global_step):
            # The `construct` can have only one input. During training, the global step is automatically transferred for computation.
            p = self.cast(global_step, ms.float32) / self.decay_steps
            return self.weight_decay * self.pow(self.decay_rate, p)

    net = Net()

    weight_decay = ExponentialWeightDecay(weight_decay=0.0001, decay_rate=0.1, decay_steps=10000)
    optimizer = nn.Momentum(net.trainable_params(), learning_rate=0.01,
                            momentum=0.9, weight_decay=weight_decay)
    assert optimizer is not None
    # Beyond the guide: one step applies wd(step 0) = 1e-4 * 0.1 ** 0 = 1e-4 to every parameter.
    grads = _grads(optimizer.parameters, seed=11)
    before = _step(optimizer, grads)
    _check(optimizer.parameters,
           {k: _momentum_reference(w, grads[k], 0.0, 0.01, wd=1e-4)[0] for k, w in before.items()})


def test_cell_groups_fixed_and_polynomial_lr():
    from minispore import nn

    net = Net()

    # Use parameter groups and set different values
    conv_params = list(filter(lambda x: 'conv' in x.name, net.trainable_params()))
    no_conv_params = list(filter(lambda x: 'conv' not in x.name, net.trainable_params()))

    fix_lr = 0.01
    polynomial_decay_lr = nn.learning_rate_schedule.PolynomialDecayLR(learning_rate=0.1,
                                                                      end_learning_rate=0.01,
                                                                      decay_steps=4,
                                                                      power=0.5 )

    group_params = [{'params': conv_params, 'weight_decay': 0.01, 'lr': fix_lr},
                    {'params': no_conv_params, 'lr': polynomial_decay_lr},
                    {'order_params': net.trainable_params()}]

    optim = nn.Momentum(group_params, learning_rate=0.1, momentum=0.9, weight_decay=0.0)

    # order_params keeps the network's order; conv decays with 0.01 at the fixed rate (which, among
    # dynamic group rates, MindSpore evaluates as float32 lr + 1.0 - 1.0), param follows the schedule
    assert [p.name for p in optim.parameters] == ["param", "conv.weight"]
    assert optim.decay == [0.0, 0.01]
    fixed = float(np.float32(np.float32(0.01) + np.float32(1.0)) - np.float32(1.0))
    grads = _grads(optim.parameters, seed=4)
    accum = {p.name: 0.0 for p in optim.parameters}
    for step in range(5):
        lrs = {"conv.weight": fixed, "param": 0.09 * (1 - min(step, 4) / 4) ** 0.5 + 0.01}
        wds = {"conv.weight": 0.01, "param": 0.0}
        before = _step(optim, grads)
        expected = {}
        for k, w in before.items():
            expected[k], accum[k] = _momentum_reference(w, grads[k], accum[k], lrs[k], wd=wds[k])
        _check(optim.parameters, expected)


def test_cell_groups_guide_2x_without_order_params():
    net = Net()

    # Convolutional parameter
    conv_params = list(filter(lambda x: 'conv' in x.name, net.trainable_params()))
    # Non-convolutional parameter
    no_conv_params = list(filter(lambda x: 'conv' not in x.name, net.trainable_params()))

    # Fixed learning rate
    fix_lr = 0.01

    # Computation of Learning Rate Based on Polynomial Decay Function
    polynomial_decay_lr = nn.PolynomialDecayLR(learning_rate=0.1,      # Initial learning rate
                                               end_learning_rate=0.01, # Final the learning rate
                                               decay_steps=4,          #Number of decay steps
                                               power=0.5)              # Polynomial power

    # The convolutional parameter uses a fixed learning rate of 0.001, and the weight decay is 0.01.
    # The non-convolutional parameter uses a dynamic learning rate, and the weight decay is 0.0.
    group_params = [{'params': conv_params, 'weight_decay': 0.01, 'lr': fix_lr},
                    {'params': no_conv_params, 'lr': polynomial_decay_lr}]

    optim = nn.Momentum(group_params, learning_rate=0.1, momentum=0.9, weight_decay=0.0)

    # without order_params the groups' order is the optimizer's order
    assert [p.name for p in optim.parameters] == ["conv.weight", "param"]
    assert optim.group_of == [0, 1]
    assert optim.get_lr_parameter(net.param) is polynomial_decay_lr
    lrs = optim.get_lr()
    assert len(lrs) == 2 and float(lrs[1].asnumpy()) == pytest.approx(0.1)


def test_cell_momentum_three_groups_order_params():
    net = Net()
    conv_params = list(filter(lambda x: 'conv' in x.name, net.trainable_params()))
    no_conv_params = list(filter(lambda x: 'conv' not in x.name, net.trainable_params()))
    group_params = [{'params': conv_params, 'weight_decay': 0.01, 'grad_centralization':True},
                    {'params': no_conv_params, 'lr': 0.01},
                    {'order_params': net.trainable_params()}]
    optim = nn.Momentum(group_params, learning_rate=0.1, momentum=0.9, weight_decay=0.0)
    # The conv_params's parameters will use default learning rate of 0.1 and weight decay of 0.01 and grad
    # centralization of True.
    # The no_conv_params's parameters will use learning rate of 0.01 and default weight decay of 0.0 and grad
    # centralization of False.
    # The final parameters order in which the optimizer will be followed is the value of 'order_params'.

    assert [p.name for p in optim.parameters] == [p.name for p in net.trainable_params()] == ["param", "conv.weight"]
    assert optim.group_of == [1, 0]
    assert optim.decay == [0.0, 0.01]
    assert optim.grad_centralization == [False, True]
    grads = _grads(optim.parameters, seed=5)
    before = _step(optim, grads)
    # conv.weight: g + 0.01 w, lr 0.1; NOT centralized: its shape (6, 1, 5, 5) has shape[1] % 16 != 0, and
    # MindSpore then returns the gradient unchanged
    g = grads["conv.weight"] + 0.01 * before["conv.weight"]
    expected = {"conv.weight": before["conv.weight"] - 0.1 * g,
                "param": before["param"] - 0.01 * grads["param"]}
    _check(optim.parameters, expected)


def test_cell_custom_optimizer_assign():
    import minispore as ms
    from minispore import nn, ops

    class Momentum(nn.Optimizer):
        """Define the optimizer."""
        def __init__(self, params, learning_rate, momentum=0.9):
            super(Momentum, self).__init__(learning_rate, params)
            self.momentum = ms.Parameter(ms.Tensor(momentum, ms.float32), name="momentum")
            self.moments = self.parameters.clone(prefix="moments", init="zeros")
            self.assign = ops.Assign()

        def construct(self, gradients):
            """The input of construct is gradient. Gradients are automatically transferred during training."""
            lr = self.get_lr()
            params = self.parameters # Weight parameter to be updated

            for i in range(len(params)):
                # Update the moments value.
                self.assign(self.moments[i], self.moments[i] * self.momentum + gradients[i])
                update = params[i] - self.moments[i] * lr # SGD algorithm with momentum
                self.assign(params[i], update)
            return params

    net = Net()
    # Set the parameter to be optimized and the learning rate of the optimizer to 0.01.
    opt = Momentum(net.trainable_params(), 0.01)

    grads = _grads(opt.parameters, seed=6)
    before = _step(opt, grads)
    _check(opt.parameters, {k: _momentum_reference(w, grads[k], 0.0, 0.01)[0] for k, w in before.items()})


def test_cell_custom_optimizer_apply_momentum():
    class Momentum(nn.Optimizer):
        """Define the optimizer."""
        def __init__(self, params, learning_rate, momentum=0.9):
            super(Momentum, self).__init__(learning_rate, params)
            self.moments = self.parameters.clone(prefix="moments", init="zeros")
            self.momentum = momentum
            self.opt = ops.ApplyMomentum()

        def construct(self, gradients):
            # Weight parameter to be updated
            params = self.parameters
            success = None
            for param, mom, grad in zip(params, self.moments, gradients):
                success = self.opt(param, mom, self.learning_rate, grad, self.momentum)
            return success

    net = Net()
    # Set the parameter to be optimized and the learning rate of the optimizer to 0.01.
    opt = Momentum(net.trainable_params(), 0.01)

    grads = _grads(opt.parameters, seed=7)
    before = _step(opt, grads)
    _check(opt.parameters, {k: _momentum_reference(w, grads[k], 0.0, 0.01)[0] for k, w in before.items()})
