"""minispore.experimental.optim: the PyTorch-style optimizers and LR schedulers.

Numbers come from two places: values recorded from MindSpore 2.10's ``mindspore.experimental.optim``
(tests/data/experimental_optim_ms210.json, written by tests/data/record_experimental_optim.py: a Dense
layer trained 4 steps in MindSpore's documented style, and every scheduler's rates over 14 epochs), and
numpy transcriptions of the documented algorithms (PyTorch's AdamW and SGD, MindSpore's Adam kernel)
stepped with fixed gradients.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn
from minispore.experimental import optim
from minispore.experimental.optim import lr_scheduler as L

REF = json.loads((Path(__file__).parent.parent / "data" / "experimental_optim_ms210.json").read_text())
X, Y = np.array(REF["X"], np.float32), np.array(REF["Y"], np.float32)


def dense():
    net = nn.Dense(3, 2)
    net.weight.set_data(Tensor(np.array(REF["W"], np.float32)))
    net.bias.set_data(Tensor(np.array(REF["B"], np.float32)))
    return net


def kwargs_of(case):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}


def train(case, sched=None, steps=4):
    """MindSpore's documented loop: value_and_grad over optimizer.parameters, optimizer(grads), scheduler.step()."""
    net = dense()
    params = net.trainable_params()
    if case.get("groups"):
        params = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "weight_decay": 0.0}]
    optimizer = getattr(optim, case["class"])(params, **kwargs_of(case))
    scheduler = sched(optimizer) if sched else None
    loss_fn = nn.MSELoss()

    def forward_fn(x, y):
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters)
    out = []
    for _ in range(steps):
        loss, grads = grad_fn(Tensor(X), Tensor(Y))
        optimizer(grads)
        if scheduler:
            scheduler.step()
        out.append((float(loss), net.weight.asnumpy().copy(), net.bias.asnumpy().copy()))
    return out, optimizer


@pytest.mark.parametrize("name", sorted(n for n in REF["optimizers"] if n != "adam_groups_steplr"))
def test_training_matches_mindspore(name):
    case = REF["optimizers"][name]
    got, _ = train(case)
    for (loss, w, b), want in zip(got, case["steps"]):
        np.testing.assert_allclose(loss, want["loss"], rtol=2e-6)
        np.testing.assert_allclose(w, want["weight"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b, want["bias"], rtol=1e-5, atol=1e-6)


def test_groups_with_step_lr_match_mindspore_without_recompiling():
    case = REF["optimizers"]["adam_groups_steplr"]
    got, opt = train(case, lambda o: L.StepLR(o, 2, 0.5))
    for (loss, w, b), want in zip(got, case["steps"]):
        np.testing.assert_allclose(loss, want["loss"], rtol=2e-6)
        np.testing.assert_allclose(w, want["weight"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b, want["bias"], rtol=1e-5, atol=1e-6)
    # the scheduler changed both groups' lr Parameters four times: the step compiled once
    assert len(opt._compile_cache.entries) == 1
    assert [float(v) for v in opt.lrs] == pytest.approx([0.025, 0.0025])
    assert [g["lr"] for g in opt.param_groups] == opt.lrs


@pytest.mark.parametrize("name", sorted(REF["schedulers"]))
def test_scheduler_sequence_matches_mindspore(name):
    want = REF["schedulers"][name]
    net = dense()
    p = net.trainable_params()
    opt = optim.SGD([{"params": [p[0]]}, {"params": [p[1]], "lr": 0.05}], lr=0.1)
    if name == "ReduceLROnPlateau":
        opt = optim.SGD(net.trainable_params(), lr=0.1)
        s = L.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.02)
        got = []
        for m in [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.9, 0.9, 0.9, 0.9]:
            s.step(m)
            got.append([float(v) for v in s.get_last_lr()])
    else:
        s = SCHEDULERS[name](opt)
        got = [[float(v) for v in s.get_last_lr()]]
        for _ in range(13):
            s.step()
            got.append([float(v) for v in s.get_last_lr()])
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-9)
    # the rates are the optimizer's lr Parameters
    assert [float(v) for v in opt.lrs] == pytest.approx(got[-1])


SCHEDULERS = {
    "StepLR": lambda o: L.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: L.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.5),
    "ExponentialLR": lambda o: L.ExponentialLR(o, gamma=0.9),
    "ConstantLR": lambda o: L.ConstantLR(o, factor=0.5, total_iters=4),
    "LinearLR": lambda o: L.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6),
    "PolynomialLR": lambda o: L.PolynomialLR(o, total_iters=6, power=2.0),
    "LambdaLR": lambda o: L.LambdaLR(o, lr_lambda=[lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)]),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lr_lambda=lambda e: 0.9),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
    "CyclicLR": lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2,
                                     mode="triangular2"),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001),
    "SequentialLR": lambda o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=2),
                                                 L.ExponentialLR(o, gamma=0.9)], milestones=[3]),
}


def test_closed_forms_of_step_epoch():
    p = dense().trainable_params()
    opt = optim.SGD(p, lr=0.1)
    s = L.StepLR(opt, step_size=3, gamma=0.5)
    s.step(7)
    assert float(s.get_last_lr()[0]) == pytest.approx(0.1 * 0.5 ** 2)
    s = L.CosineAnnealingLR(optim.SGD(dense().trainable_params(), lr=0.1), T_max=10, eta_min=0.01)
    s.step(4)
    assert float(s.get_last_lr()[0]) == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi * 0.4)) / 2, rel=1e-6)
    s = L.MultiStepLR(optim.SGD(dense().trainable_params(), lr=0.1), milestones=[2, 4], gamma=0.1)
    s.step(5)
    assert float(s.get_last_lr()[0]) == pytest.approx(0.001, rel=1e-6)


# ---- numpy transcriptions of the documented algorithms, stepped with fixed gradients -------------

GRADS = [np.random.default_rng(i).standard_normal((2, 3)).astype(np.float32) for i in range(4)]
W0 = np.random.default_rng(9).standard_normal((2, 3)).astype(np.float32)


def step_with(make_opt):
    w = ms.Parameter(Tensor(W0.copy()), name="w")
    opt = make_opt([w])
    for g in GRADS:
        opt((Tensor(g),))
    return w.asnumpy()


def torch_adamw(lr, betas, eps, wd, amsgrad, maximize):
    """PyTorch's AdamW (torch.optim.AdamW docs), in float64."""
    w, m, v, vmax = W0.astype(np.float64), 0.0, 0.0, 0.0
    for t, g in enumerate(GRADS, 1):
        g = -g if maximize else g.astype(np.float64)
        w = w * (1 - lr * wd)
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        vmax = np.maximum(vmax, v)
        denom = np.sqrt(vmax if amsgrad else v) / math.sqrt(1 - betas[1] ** t) + eps
        w = w - lr / (1 - betas[0] ** t) * m / denom
    return w


def torch_sgd(lr, momentum, dampening, wd, nesterov, maximize):
    """PyTorch's SGD (torch.optim.SGD docs), in float64."""
    w, b = W0.astype(np.float64), None
    for g in GRADS:
        g = (-g if maximize else g).astype(np.float64) + wd * w
        if momentum:
            b = g if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        w = w - lr * g
    return w


def ms_adam(lr, betas, eps, wd, maximize):
    """MindSpore's experimental Adam: L2 decay on the gradient, then its Adam kernel (eps before the bias
    correction)."""
    w, m, v = W0.astype(np.float64), 0.0, 0.0
    for t, g in enumerate(GRADS, 1):
        g = (-g if maximize else g).astype(np.float64) + wd * w
        m = m + (g - m) * (1 - betas[0])
        v = v + (g * g - v) * (1 - betas[1])
        w = w - lr * math.sqrt(1 - betas[1] ** t) / (1 - betas[0] ** t) * m / (np.sqrt(v) + eps)
    return w


@pytest.mark.parametrize("amsgrad,maximize", [(False, False), (True, True)])
def test_adamw_is_pytorchs(amsgrad, maximize):
    got = step_with(lambda p: optim.AdamW(p, lr=0.03, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.2,
                                          amsgrad=amsgrad, maximize=maximize))
    np.testing.assert_allclose(got, torch_adamw(0.03, (0.8, 0.95), 1e-6, 0.2, amsgrad, maximize), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("momentum,dampening,wd,nesterov,maximize",
                         [(0.0, 0.0, 0.0, False, False), (0.9, 0.2, 0.05, False, True), (0.7, 0.0, 0.01, True, False)])
def test_sgd_is_pytorchs(momentum, dampening, wd, nesterov, maximize):
    got = step_with(lambda p: optim.SGD(p, lr=0.05, momentum=momentum, dampening=dampening, weight_decay=wd,
                                        nesterov=nesterov, maximize=maximize))
    np.testing.assert_allclose(got, torch_sgd(0.05, momentum, dampening, wd, nesterov, maximize), rtol=1e-5, atol=1e-6)


def test_adam_is_mindspores_kernel():
    got = step_with(lambda p: optim.Adam(p, lr=0.02, betas=(0.85, 0.99), eps=1e-7, weight_decay=0.1, maximize=True))
    np.testing.assert_allclose(got, ms_adam(0.02, (0.85, 0.99), 1e-7, 0.1, True), rtol=1e-5, atol=1e-6)


# ---- param_groups ------------------------------------------------------------------------------


def test_param_groups_defaults_and_add_param_group():
    net = dense()
    w, b = net.trainable_params()
    opt = optim.SGD([{"params": [w], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["momentum"] == 0.9 and opt.param_groups[0]["dampening"] == 0.0
    opt.add_param_group({"params": b})  # a lone Parameter, the defaults filled in
    assert opt.param_groups[1]["lr"].name == "learning_rate_group_1"
    assert float(opt.param_groups[1]["lr"]) == pytest.approx(0.1) and opt.param_groups[1]["momentum"] == 0.0
    assert len(opt.parameters) == 2 and opt.group_start_id == [0, 1, 2]
    assert [p.name for p in opt.accum] == ["accum.weight", "accum.bias"]
    gw, gb = np.ones((2, 3), np.float32), np.ones(2, np.float32)
    opt((Tensor(gw), Tensor(gb)))
    opt((Tensor(gw), Tensor(gb)))
    np.testing.assert_allclose(w.asnumpy(), np.array(REF["W"]) - 0.5 * (1 + 1.9), rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), np.array(REF["B"]) - 0.1 * 2, rtol=1e-6)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})


def test_changing_a_group_option_recompiles():
    w = ms.Parameter(Tensor(np.zeros(3, np.float32)), name="w")
    opt = optim.SGD([w], lr=1.0)
    g = (Tensor(np.ones(3, np.float32)),)
    opt(g)
    opt.param_groups[0]["maximize"] = True
    opt(g)
    np.testing.assert_allclose(w.asnumpy(), 0.0)


def test_argument_checks():
    p = dense().trainable_params()
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Adam(p, lr=-1.0)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.AdamW(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="sets"):
        optim.SGD([{"params": set(p)}], lr=0.1)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        L.StepLR(nn.SGD(p), 2)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        L.LinearLR(optim.SGD(p, lr=0.1), start_factor=0.0)
