"""Adam, AdamOffload, LazyAdam, AdaMax, AdamWeightDecay, Adagrad and Adadelta: optimizer state
against MindSpore's recorded final state, options the golden cases do not cover against numpy
transcriptions of the documented rules, argument validation, and Model.train on a small MLP."""

import logging

import numpy as np
import pytest

from minispore import Parameter, Tensor, nn

from golden.optimizer_cases import optimizer_state

# ---- state against MindSpore's final state ----------------------------------------------------

# ---- numpy transcriptions of the documented rules, for options without golden cases -------------

def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {"conv.weight": rng.normal(size=(2, 3, 2, 2)).astype(np.float32),
            "fc.bias": rng.normal(size=(3,)).astype(np.float32),
            "bn.gamma": rng.normal(size=(3,)).astype(np.float32)}


def _grads(values, steps, seed=1):
    rng = np.random.default_rng(seed)
    return [{k: rng.normal(size=v.shape).astype(np.float32) for k, v in values.items()} for _ in range(steps)]


def _run(make, values, grads):
    params = [Parameter(Tensor(v.copy()), name=k) for k, v in values.items()]
    opt = make(params)
    for g in grads:
        opt(tuple(Tensor(g[p.name]) for p in params))
    return {p.name: p.asnumpy() for p in params}, opt


def _adam_ref(values, grads, lr, b1=0.9, b2=0.999, eps=1e-8, nesterov=False, amsgrad=False, wd=0.0, gc=False):
    p = {k: v.astype(np.float64) for k, v in values.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    vhat = {k: np.zeros_like(v) for k, v in p.items()}
    for t, g in enumerate(grads, 1):
        for k in p:
            gk = g[k].astype(np.float64)
            if wd and "beta" not in k and "gamma" not in k:
                gk = gk + wd * p[k]
            if gc and gk.ndim > 1 and gk.shape[1] % 16 == 0:
                gk = gk - gk.mean(axis=tuple(range(1, gk.ndim)), keepdims=True)
            m[k] = b1 * m[k] + (1 - b1) * gk
            v2[k] = b2 * v2[k] + (1 - b2) * gk * gk
            vhat[k] = np.maximum(vhat[k], v2[k])
            lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            numer = b1 * m[k] + (1 - b1) * gk if nesterov else m[k]
            p[k] = p[k] - lr_t * numer / (np.sqrt(vhat[k] if amsgrad else v2[k]) + eps)
    return p


def _close(got, want, rtol=1e-4):
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=rtol, atol=1e-6, err_msg=k)


def test_adam_amsgrad_with_nesterov_follows_amsgrad():
    """ApplyAdamWithAmsgrad has no Nesterov form: MindSpore ignores use_nesterov with use_amsgrad."""
    values = _params()
    grads = _grads(values, 4)
    got, _ = _run(lambda ps: nn.Adam(ps, 0.01, use_amsgrad=True, use_nesterov=True), values, grads)
    _close(got, _adam_ref(values, grads, 0.01, amsgrad=True))


@pytest.mark.parametrize("kwargs", [{"use_lazy": True}, {"use_offload": True},
                                    {"use_lazy": True, "use_nesterov": True}])
def test_adam_lazy_and_offload_with_dense_gradients(kwargs):
    values = _params()
    grads = _grads(values, 4)
    got, opt = _run(lambda ps: nn.Adam(ps, 0.02, weight_decay=0.1, **kwargs), values, grads)
    _close(got, _adam_ref(values, grads, 0.02, wd=0.1, nesterov=kwargs.get("use_nesterov", False)))
    assert opt.use_lazy == kwargs.get("use_lazy", False)
    assert opt.use_offload == kwargs.get("use_offload", False)


@pytest.mark.parametrize("make,gc", [
    (lambda g: nn.Adam(g, 0.01), True),
    (lambda g: nn.LazyAdam(g, 0.01), True),
    (lambda g: nn.AdamOffload(g, 0.01), False),
    (lambda g: nn.Adam(g, 0.01, use_offload=True), False),
])
def test_gradient_centralization(make, gc):
    """Groups with grad_centralization centralize gradients of rank > 1 with shape[1] % 16 == 0 (fc.weight, not
    conv.weight (2, 3, 2, 2)); the offloaded Adams skip it."""
    values = _params()
    values["fc.weight"] = np.random.default_rng(7).normal(size=(2, 16)).astype(np.float32)
    grads = _grads(values, 3)
    got, _ = _run(lambda ps: make([{"params": ps, "grad_centralization": True}]), values, grads)
    _close(got, _adam_ref(values, grads, 0.01, gc=gc))


def test_lazy_adam_dense_equals_adam():
    values = _params()
    grads = _grads(values, 4)
    lazy, _ = _run(lambda ps: nn.LazyAdam(ps, 0.01, use_nesterov=True), values, grads)
    dense, _ = _run(lambda ps: nn.Adam(ps, 0.01, use_nesterov=True), values, grads)
    _close(lazy, dense, rtol=1e-6)


def test_adam_weight_decay_groups_decoupled():
    """Grouped: a group's weight decay applies to all its parameters (no name filter), decoupled."""
    values = _params()
    grads = _grads(values, 3)
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-6, 0.2

    def make(ps):
        return nn.AdamWeightDecay([{"params": ps[:2], "weight_decay": wd}, {"params": ps[2:], "lr": 0.05}],
                                  learning_rate=lr)

    got, _ = _run(make, values, grads)
    p = {k: v.astype(np.float64) for k, v in values.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    for g in grads:
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            v2[k] = b2 * v2[k] + (1 - b2) * g[k] * g[k]
            u = m[k] / (np.sqrt(v2[k]) + eps)
            decay, klr = (wd, lr) if k != "bn.gamma" else (0.0, 0.05)
            p[k] = p[k] - klr * (u + decay * p[k])
    _close(got, p)


def test_adagrad_loss_scale_and_weight_decay():
    values = _params()
    grads = _grads(values, 3)
    scale, wd, lr = 64.0, 0.05, 0.1
    scaled = [{k: v * scale for k, v in g.items()} for g in grads]
    got, _ = _run(lambda ps: nn.Adagrad(ps, accum=0.2, learning_rate=lr, loss_scale=scale, weight_decay=wd),
                  values, scaled)
    p = {k: v.astype(np.float64) for k, v in values.items()}
    h = {k: np.full_like(v, 0.2) for k, v in p.items()}
    for g in grads:
        for k in p:
            gk = g[k] + (wd * p[k] if k != "bn.gamma" else 0.0)
            h[k] += gk * gk
            p[k] = p[k] - lr * gk / np.sqrt(h[k])
    _close(got, p, rtol=2e-5)


def test_adadelta_rho_and_epsilon():
    values = _params()
    grads = _grads(values, 4)
    rho, eps, lr = 0.8, 1e-4, 0.5
    got, _ = _run(lambda ps: nn.Adadelta(ps, learning_rate=lr, rho=rho, epsilon=eps), values, grads)
    p = {k: v.astype(np.float64) for k, v in values.items()}
    a = {k: np.zeros_like(v) for k, v in p.items()}
    au = {k: np.zeros_like(v) for k, v in p.items()}
    for g in grads:
        for k in p:
            a[k] = rho * a[k] + (1 - rho) * g[k] ** 2
            u = np.sqrt(au[k] + eps) / np.sqrt(a[k] + eps) * g[k]
            au[k] = rho * au[k] + (1 - rho) * u * u
            p[k] = p[k] - lr * u
    _close(got, p, rtol=2e-5)


def test_adamax_beta2_and_eps():
    values = _params()
    grads = _grads(values, 4)
    b1, b2, eps, lr = 0.8, 0.9, 1e-3, 0.05
    got, opt = _run(lambda ps: nn.AdaMax(ps, learning_rate=lr, beta1=b1, beta2=b2, eps=eps), values, grads)
    p = {k: v.astype(np.float64) for k, v in values.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    u = {k: np.zeros_like(v) for k, v in p.items()}
    for t, g in enumerate(grads, 1):
        for k in p:
            m[k] = b1 * m[k] + (1 - b1) * g[k]
            u[k] = np.maximum(b2 * u[k], np.abs(g[k]))
            p[k] = p[k] - lr / (1 - b1 ** t) * m[k] / (u[k] + eps)
    _close(got, p)
    np.testing.assert_allclose(opt.beta1_power.asnumpy(), [b1 ** 4], rtol=1e-6)


# ---- state names and shapes ---------------------------------------------------------------------

@pytest.mark.parametrize("make,names,power_shape", [
    (lambda ps: nn.Adam(ps), {"beta1_power", "beta2_power", "moment1.w", "moment2.w"}, ()),
    (lambda ps: nn.Adam(ps, use_amsgrad=True), {"beta1_power", "beta2_power", "moment1.w", "moment2.w", "vhat.w"},
     ()),
    (lambda ps: nn.AdamOffload(ps), {"beta1_power", "beta2_power", "moment1.w", "moment2.w"}, (1,)),
    (lambda ps: nn.LazyAdam(ps), {"beta1_power", "beta2_power", "moment1.w", "moment2.w"}, (1,)),
    (lambda ps: nn.AdaMax(ps), {"beta1_power", "moment1.w", "moment2.w"}, (1,)),
    (lambda ps: nn.AdamWeightDecay(ps), {"adam_m.w", "adam_v.w"}, None),
    (lambda ps: nn.Adagrad(ps), {"accum.w"}, None),
    (lambda ps: nn.Adadelta(ps), {"accum.w", "accum_update.w"}, None),
])
def test_state_names(make, names, power_shape):
    opt = make([Parameter(Tensor(np.ones((2, 2), np.float32)), name="w")])
    state = optimizer_state(opt)
    assert set(state) == names | {"global_step", "learning_rate"}
    if power_shape is not None:
        assert state["beta1_power"].shape == power_shape
        assert float(state["beta1_power"].asnumpy().reshape(-1)[0]) == 1.0


def test_adagrad_accumulator_starts_at_accum():
    opt = nn.Adagrad([Parameter(Tensor(np.ones((3,), np.float32)), name="w")], accum=0.7)
    np.testing.assert_array_equal(opt.accum[0].asnumpy(), np.full(3, 0.7, np.float32))


# ---- argument validation ------------------------------------------------------------------------

def _w():
    return [Parameter(Tensor(np.ones((2,), np.float32)), name="w")]


@pytest.mark.parametrize("make,exc,match", [
    (lambda: nn.Adam(_w(), beta1=1.0), ValueError, "'beta1' must be in range of \\(0.0, 1.0\\)"),
    (lambda: nn.Adam(_w(), beta2=0.0), ValueError, "'beta2' must be in range"),
    (lambda: nn.Adam(_w(), eps=0.0), ValueError, "'eps' must be a positive float"),
    (lambda: nn.Adam(_w(), beta1=1), TypeError, "'beta1' must be float"),
    (lambda: nn.Adam(_w(), use_nesterov=1), TypeError, "'use_nesterov' must be bool"),
    (lambda: nn.Adam(_w(), use_amsgrad="yes"), TypeError, "'use_amsgrad' must be bool"),
    (lambda: nn.Adam(_w(), use_lazy=True, use_offload=True), ValueError, "can not both be True"),
    (lambda: nn.Adam(_w(), use_lazy=True, use_amsgrad=True), ValueError, "no parameter named 'use_amsgrad'"),
    (lambda: nn.Adam(_w(), use_offload=True, use_amsgrad=True), ValueError, "no parameter named 'use_amsgrad'"),
    (lambda: nn.Adam(_w(), use_lazy=1), TypeError, "'use_lazy' must be bool"),
    (lambda: nn.Adam(_w(), amsgrad=True), TypeError, "unexpected keyword"),
    (lambda: nn.Adam(_w(), loss_scale=0.0), ValueError, "loss_scale"),
    (lambda: nn.Adam(_w(), weight_decay=-0.1), ValueError, "weight_decay"),
    (lambda: nn.AdamOffload(_w(), beta2=1.5), ValueError, "'beta2' must be in range"),
    (lambda: nn.LazyAdam(_w(), eps=-1.0), ValueError, "'eps' must be a positive float"),
    (lambda: nn.AdaMax(_w(), beta1=0.0), ValueError, "'beta1' must be in range"),
    (lambda: nn.AdamWeightDecay(_w(), eps=0), TypeError, "'eps' must be float"),
    (lambda: nn.AdamWeightDecay(_w(), loss_scale=2.0), TypeError, "loss_scale"),
    (lambda: nn.Adagrad(_w(), accum=-0.1), ValueError, "'accum' must be a non-negative float"),
    (lambda: nn.Adagrad(_w(), accum=1), TypeError, "'accum' must be float"),
    (lambda: nn.Adagrad(_w(), update_slots=0), TypeError, "'update_slots' must be bool"),
    (lambda: nn.Adadelta(_w(), rho=1.1), ValueError, "'rho' must be in range of \\[0.0, 1.0\\]"),
    (lambda: nn.Adadelta(_w(), epsilon=-1e-6), ValueError, "'epsilon' must be a non-negative float"),
    (lambda: nn.Adadelta(_w(), rho=1), TypeError, "'rho' must be float"),
])
def test_argument_validation(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_deprecated_optimizers_log_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="minispore"):
        nn.AdamOffload(_w())
        nn.LazyAdam(_w())
    text = caplog.text
    assert "'AdamOffload' is deprecated" in text and "'LazyAdam' is deprecated" in text


def test_gradient_count_and_shape_checked():
    opt = nn.Adam(_w())
    with pytest.raises(ValueError, match="1 parameters"):
        opt((Tensor(np.ones(2, np.float32)), Tensor(np.ones(2, np.float32))))
