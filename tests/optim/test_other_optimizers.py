"""ASGD, Rprop, RMSProp, FTRL, ProximalAdagrad, Lamb, LARS and AdaFactor: optimizer state against
MindSpore's recorded final state, options the golden cases do not cover (and Lamb and LARS, which
have no MindSpore CPU kernels) against numpy transcriptions of the documented rules, argument
validation, and Model.train on a small MLP."""


import numpy as np
import pytest

from minispore import Parameter, Tensor, nn
from minispore.graph.verify import verify

from golden.optimizer_cases import optimizer_state

# ---- helpers for the numpy transcriptions -------------------------------------------------------

def _params(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return {"conv.weight": (scale * rng.normal(size=(2, 3, 2, 2))).astype(np.float32),
            "fc.weight": (scale * rng.normal(size=(3, 4))).astype(np.float32),
            "fc.bias": (scale * rng.normal(size=(3,))).astype(np.float32),
            "bn.gamma": (scale * rng.normal(size=(3,))).astype(np.float32)}


def _grads(values, steps, seed=1, scale=1.0):
    rng = np.random.default_rng(seed)
    return [{k: (scale * rng.normal(size=v.shape)).astype(np.float32) for k, v in values.items()}
            for _ in range(steps)]


def _run(make, values, grads, grad_scale=1.0):
    params = [Parameter(Tensor(v.copy()), name=k) for k, v in values.items()]
    opt = make(params)
    for g in grads:
        opt(tuple(Tensor((g[p.name] * np.float32(grad_scale)).astype(np.float32)) for p in params))
    return {p.name: p.asnumpy() for p in params}, opt


def _f64(values):
    return {k: v.astype(np.float64) for k, v in values.items()}


def _decays(name, wd):
    """The ungrouped weight-decay filter: no decay for names containing 'beta' or 'gamma'."""
    return 0.0 if "beta" in name or "gamma" in name else wd


def _close(got, want, start=None, rtol=1e-4, atol=1e-6):
    """Parameters close; with ``start``, the change from ``start`` is compared too (small steps)."""
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=rtol, atol=atol, err_msg=k)
        if start is not None:
            np.testing.assert_allclose(got[k] - start[k], want[k] - start[k], rtol=1e-3, atol=1e-7,
                                       err_msg=f"{k} (change)")


def _norm(x):
    return float(np.sqrt(np.sum(x * x)))


# ---- Lamb (no MindSpore CPU kernel: MindSpore's GPU-kernel formula) ------------------------------

def _lamb_ref(values, grads, lrs, b1=0.9, b2=0.999, eps=1e-6, wd=0.0):
    p = _f64(values)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    for t, g in enumerate(grads, 1):
        for k in p:
            gk, d = g[k].astype(np.float64), _decays(k, wd)
            m[k] = b1 * m[k] + (1 - b1) * gk
            v2[k] = b2 * v2[k] + (1 - b2) * gk * gk
            m_hat, v_hat = m[k] / (1 - b1 ** t), v2[k] / (1 - b2 ** t)
            r = m_hat / (np.sqrt(v_hat) + eps) + d * p[k]
            r_hat = m_hat / np.sqrt(v_hat + eps) + d * p[k]
            w_norm, r_norm = _norm(p[k]), _norm(r_hat)
            ratio = float(np.clip(w_norm / r_norm, 0.0, 10.0)) if w_norm > 0 and r_norm > 0 else 1.0
            p[k] = p[k] - lrs[k] * ratio * r
    return p


def test_lamb_with_weight_decay_filter():
    values, grads = _params(), _grads(_params(), 4)
    got, _ = _run(lambda ps: nn.Lamb(ps, learning_rate=0.05, weight_decay=0.1), values, grads)
    _close(got, _lamb_ref(values, grads, dict.fromkeys(values, 0.05), wd=0.1), start=values)


def test_lamb_group_learning_rates_and_betas():
    values, grads = _params(2), _grads(_params(2), 3, seed=5)

    def make(ps):
        return nn.Lamb([{"params": ps[:2], "lr": 0.02}, {"params": ps[2:]}], learning_rate=0.1,
                       beta1=0.8, beta2=0.99, eps=1e-4)

    lrs = {"conv.weight": 0.02, "fc.weight": 0.02, "fc.bias": 0.1, "bn.gamma": 0.1}
    got, _ = _run(make, values, grads)
    _close(got, _lamb_ref(values, grads, lrs, b1=0.8, b2=0.99, eps=1e-4), start=values)


def test_lamb_trust_ratio_edges():
    """A zero parameter uses ratio 1; a parameter far larger than its update is clipped to 10."""
    rng = np.random.default_rng(7)
    values = {"zero.weight": np.zeros((4,), np.float32),
              "big.weight": (1000 * rng.normal(size=(3, 4))).astype(np.float32)}
    grads = _grads(values, 2, seed=8)
    got, _ = _run(lambda ps: nn.Lamb(ps, learning_rate=0.01), values, grads)
    want = _lamb_ref(values, grads, dict.fromkeys(values, 0.01))
    _close(got, want, start=values)
    # step 1 on the big parameter: the ratio ||w|| / ||r_hat|| (about 1000) is clipped to 10
    one, _ = _run(lambda ps: nn.Lamb(ps, learning_rate=0.01), values, grads[:1])
    np.testing.assert_allclose(one["big.weight"] - values["big.weight"], -0.1 * np.sign(grads[0]["big.weight"]),
                               rtol=1e-2)


def test_lamb_state_names_and_no_gradient_decay():
    values = _params()
    _, opt = _run(lambda ps: nn.Lamb(ps, 0.1, weight_decay=0.5), values, [])
    names = sorted(optimizer_state(opt))
    assert names == sorted(["global_step", "learning_rate"] + [f"lamb_{s}.{k}" for s in "mv" for k in values])


# ---- LARS (no MindSpore CPU kernel: the LARSUpdate kernel's formula) -----------------------------

def _lars_momentum_ref(values, grads, lrs, decays, momentum, coefficient, eps, use_clip, lars_on):
    """LARS around Momentum (the optimizer got the grads times loss_scale and divides them back): the
    selected grads are rescaled by the trust ratio (with their decay), then accum = momentum*accum + g;
    w -= lr*accum."""
    p = _f64(values)
    accum = {k: np.zeros_like(v) for k, v in p.items()}
    for g in grads:
        for k in p:
            gk = g[k].astype(np.float64)
            if lars_on(k):
                d, w_norm = decays[k], _norm(p[k])
                coeff = coefficient * w_norm / (_norm(gk) + d * w_norm + eps)
                if use_clip:
                    coeff = min(max(coeff / lrs[k], 0.0), 1.0)
                gk = coeff * (gk + d * p[k])
            accum[k] = momentum * accum[k] + gk
            p[k] = p[k] - lrs[k] * accum[k]
    return p


@pytest.mark.parametrize("use_clip", [False, True])
def test_lars_around_momentum(use_clip):
    """Default filter: 'fc.bias' keeps its plain gradient (and, as in MindSpore, gets no weight decay);
    'bn.gamma' is rescaled without decay (the inner optimizer's decay filter)."""
    values, grads = _params(), _grads(_params(), 4)

    def make(ps):
        inner = nn.Momentum(ps, learning_rate=0.5, momentum=0.9, weight_decay=0.01, loss_scale=8.0)
        return nn.LARS(inner, epsilon=1e-5, coefficient=0.02, use_clip=use_clip)

    decays = {k: _decays(k, 0.01) for k in values}
    got, _ = _run(make, values, grads, grad_scale=8.0)
    want = _lars_momentum_ref(values, grads, dict.fromkeys(values, 0.5), decays, 0.9, 0.02, 1e-5, use_clip,
                              lambda k: "bias" not in k)
    _close(got, want, start=values)


def test_lars_group_lrs_decays_and_custom_filter():
    """Grouped SGD inner optimizer: each parameter's trust ratio uses its group's decay and, with
    use_clip, its group's learning rate."""
    values, grads = _params(3), _grads(_params(3), 3, seed=4)

    def make(ps):
        inner = nn.SGD([{"params": ps[:2], "lr": 0.2, "weight_decay": 0.05},
                        {"params": ps[2:], "lr": 0.4}], learning_rate=0.1, momentum=0.0)
        return nn.LARS(inner, coefficient=0.05, use_clip=True, lars_filter=lambda p: "conv" not in p.name)

    lrs = {"conv.weight": 0.2, "fc.weight": 0.2, "fc.bias": 0.4, "bn.gamma": 0.4}
    decays = {"conv.weight": 0.05, "fc.weight": 0.05, "fc.bias": 0.0, "bn.gamma": 0.0}
    got, _ = _run(make, values, grads)
    want = _lars_momentum_ref(values, grads, lrs, decays, 0.0, 0.05, 1e-5, True, lambda k: "conv" not in k)
    _close(got, want, start=values)


def test_lars_exposes_the_inner_optimizer():
    ps = [Parameter(Tensor(np.ones((2, 2), np.float32)), name="w")]
    inner = nn.Momentum(ps, learning_rate=0.1, momentum=0.9, weight_decay=0.1, loss_scale=4.0)
    lars = nn.LARS(inner)
    assert isinstance(lars, nn.Optimizer)
    assert lars.parameters is inner.parameters and lars.global_step is inner.global_step
    assert lars.learning_rate is inner.learning_rate
    assert lars.get_lr_parameter(ps[0]) is inner.learning_rate
    assert float(lars.get_lr().asnumpy()) == pytest.approx(0.1)
    # LARS applies the decay and the loss-scale division itself; the inner optimizer no longer does.
    assert inner.decay == [0.0] and inner.loss_scale == 1.0 and lars.decay == [0.1] and lars.loss_scale == 4.0
    lars((Tensor(np.ones((2, 2), np.float32)),))
    assert int(lars.global_step.asnumpy().reshape(-1)[0]) == 1


# ---- AdaFactor options without golden cases ------------------------------------------------------

def _rms(x):
    return float(np.sqrt(np.mean(x * x)))


def _adafactor_ref(values, grads, lr=None, eps=(1e-30, 1e-3), clip=1.0, decay_rate=0.8, beta1=0.9, wd=0.0,
                   scale_parameter=True, relative_step=True, warmup_init=False):
    """The rule in the golden cases' notes (loss scale, decay filter and centralization never apply)."""
    p = _f64(values)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    row = {k: np.zeros(v.shape[:-1]) for k, v in p.items() if v.ndim >= 2}
    col = {k: np.zeros(v.shape[:-2] + v.shape[-1:]) for k, v in p.items() if v.ndim >= 2}
    sq = {k: np.zeros_like(v) for k, v in p.items() if v.ndim < 2}
    for t, g in enumerate(grads, 1):
        beta2t = 1.0 - t ** (-decay_rate)
        step_lr = min(1e-6 * t if warmup_init else 1e-2, 1.0 / np.sqrt(t)) if relative_step else lr
        for k, w in p.items():
            gk = g[k].astype(np.float64)
            lr_k = step_lr * max(eps[1], _rms(w)) if scale_parameter else step_lr
            u = gk * gk + eps[0]
            if w.ndim >= 2:
                row[k] = beta2t * row[k] + (1 - beta2t) * u.mean(-1)
                col[k] = beta2t * col[k] + (1 - beta2t) * u.mean(-2)
                r_factor = 1.0 / np.sqrt(row[k] / row[k].mean(-1, keepdims=True))
                u = gk * r_factor[..., None] / np.sqrt(col[k])[..., None, :]
            else:
                sq[k] = beta2t * sq[k] + (1 - beta2t) * u
                u = gk / np.sqrt(sq[k])
            u = u / max(_rms(u) / clip, 1.0) * lr_k
            if beta1:
                m[k] = beta1 * m[k] + (1 - beta1) * u
                u = m[k]
            if wd:
                w = w - w * wd * lr_k
            p[k] = w - u
    return p, m


def test_adafactor_manual_lr_weight_decay_no_first_moment():
    """beta1=None (no first moment), weight decay on every parameter, parameter scaling, a clip
    threshold; grad_centralization groups and loss_scale are ignored, as in MindSpore."""
    values, grads = _params(), _grads(_params(), 4, scale=0.5)

    def make(ps):
        return nn.AdaFactor([{"params": ps, "grad_centralization": True}], learning_rate=0.05, beta1=None,
                            weight_decay=0.1, relative_step=False, clip_threshold=0.5, decay_rate=0.6,
                            loss_scale=4.0)

    got, opt = _run(make, values, grads)
    want, _ = _adafactor_ref(values, grads, lr=0.05, beta1=0.0, wd=0.1, relative_step=False, clip=0.5,
                             decay_rate=0.6)
    _close(got, want, start=values)
    assert not any(k.startswith("exp_avg.") for k in optimizer_state(opt))
    assert float(opt.step.asnumpy()[0]) == 4.0


def test_adafactor_warmup_init():
    """warmup_init: lr = min(1e-6*t, 1/sqrt(t)) * max(eps2, rms(w)); the steps are tiny, so the first
    moment (which holds the update) is compared."""
    values, grads = _params(), _grads(_params(), 3)
    got, opt = _run(lambda ps: nn.AdaFactor(ps, warmup_init=True, eps=(1e-20, 1e-2)), values, grads)
    want, m = _adafactor_ref(values, grads, warmup_init=True, eps=(1e-20, 1e-2))
    _close(got, want)
    for i, k in enumerate(values):
        np.testing.assert_allclose(opt.exp_avg[i].asnumpy(), m[k], rtol=1e-4, atol=1e-14, err_msg=k)


# ---- other options without golden cases ---------------------------------------------------------

def test_ftrl_l2_lr_power_and_grouped_weight_decay():
    """l1 = 0 (no CPU/documentation difference); groups: only the first group decays."""
    values, grads = _params(), _grads(_params(), 4)

    def make(ps):
        return nn.FTRL([{"params": ps[:2], "weight_decay": 0.05}, {"params": ps[2:]}], initial_accum=0.2,
                       learning_rate=0.3, lr_power=-0.3, l2=0.1)

    decays = {"conv.weight": 0.05, "fc.weight": 0.05, "fc.bias": 0.0, "bn.gamma": 0.0}
    p = _f64(values)
    accum = {k: np.full_like(v, 0.2) for k, v in p.items()}
    linear = {k: np.zeros_like(v) for k, v in p.items()}
    for g in grads:
        for k in p:
            gk = g[k] + decays[k] * p[k]
            new_accum = accum[k] + gk * gk
            linear[k] += gk - (new_accum ** 0.3 - accum[k] ** 0.3) / 0.3 * p[k]
            quadratic = new_accum ** 0.3 / 0.3 + 2 * 0.1
            p[k] = np.where(np.abs(linear[k]) > 0.0, -linear[k] / quadratic, 0.0)
            accum[k] = new_accum
    got, _ = _run(make, values, grads)
    _close(got, p)


def test_proximal_adagrad_l1_l2_weight_decay():
    values, grads = _params(), _grads(_params(), 4)
    got, _ = _run(lambda ps: nn.ProximalAdagrad(ps, accum=0.3, learning_rate=0.2, l1=0.05, l2=0.2,
                                                weight_decay=0.1), values, grads)
    p = _f64(values)
    accum = {k: np.full_like(v, 0.3) for k, v in p.items()}
    for g in grads:
        for k in p:
            gk = g[k] + _decays(k, 0.1) * p[k]
            accum[k] += gk * gk
            lr_t = 0.2 / np.sqrt(accum[k])
            prox = p[k] - lr_t * gk
            p[k] = np.sign(prox) / (1 + lr_t * 0.2) * np.maximum(np.abs(prox) - lr_t * 0.05, 0.0)
    _close(got, p)


def test_rmsprop_centered_with_loss_scale_and_weight_decay():
    values, grads = _params(), _grads(_params(), 4)
    got, _ = _run(lambda ps: nn.RMSProp(ps, learning_rate=0.02, decay=0.7, momentum=0.3, epsilon=1e-6,
                                        centered=True, loss_scale=16.0, weight_decay=0.05),
                  values, grads, grad_scale=16.0)
    p = _f64(values)
    ms = {k: np.ones_like(v) for k, v in p.items()}
    mg = {k: np.zeros_like(v) for k, v in p.items()}
    mom = {k: np.zeros_like(v) for k, v in p.items()}
    for g in grads:
        for k in p:
            gk = g[k] + _decays(k, 0.05) * p[k]
            ms[k] = 0.7 * ms[k] + 0.3 * gk * gk
            mg[k] = 0.7 * mg[k] + 0.3 * gk
            mom[k] = 0.3 * mom[k] + 0.02 * gk / np.sqrt(ms[k] - mg[k] ** 2 + 1e-6)
            p[k] = p[k] - mom[k]
    _close(got, p, start=values)


def test_rprop_step_size_bounds_and_weight_decay():
    values, grads = _params(), _grads(_params(), 6)
    got, _ = _run(lambda ps: nn.Rprop(ps, learning_rate=0.1, etas=(0.4, 1.5), step_sizes=(0.05, 0.2),
                                      weight_decay=0.1), values, grads)
    p = _f64(values)
    prev = {k: np.zeros_like(v) for k, v in p.items()}
    size = {k: np.full_like(v, 0.1) for k, v in p.items()}
    for g in grads:
        for k in p:
            gk = g[k] + _decays(k, 0.1) * p[k]
            s = np.sign(gk * prev[k])
            size[k] = np.clip(size[k] * np.where(s > 0, 1.5, np.where(s < 0, 0.4, 1.0)), 0.05, 0.2)
            gk = np.where(s < 0, 0.0, gk)
            p[k] = p[k] - np.sign(gk) * size[k]
            prev[k] = gk
    _close(got, p)


def test_asgd_state_names():
    _, opt = _run(lambda ps: nn.ASGD(ps), {"fc.weight": np.ones((2, 2), np.float32)}, [])
    assert sorted(optimizer_state(opt)) == ["ax_.fc.weight", "eta_fc.weight", "global_step", "learning_rate",
                                            "mu_fc.weight"]
    assert opt.mu[0].shape == () and float(opt.mu[0].asnumpy()) == 1.0


@pytest.mark.parametrize("make", [
    lambda ps: nn.ASGD(ps, t0=1.0), lambda ps: nn.Rprop(ps), lambda ps: nn.RMSProp(ps, centered=True, momentum=0.5),
    lambda ps: nn.FTRL(ps, l1=0.01), lambda ps: nn.ProximalAdagrad(ps, l1=0.01), lambda ps: nn.Lamb(ps, 0.1),
    lambda ps: nn.LARS(nn.Momentum(ps, 0.1, 0.9, weight_decay=0.1, loss_scale=2.0), use_clip=True),
    lambda ps: nn.AdaFactor(ps, weight_decay=0.1)],
    ids=["ASGD", "Rprop", "RMSProp", "FTRL", "ProximalAdagrad", "Lamb", "LARS", "AdaFactor"])
def test_update_graph_verifies(make):
    """No Parameter is read after its Assign (the step counters are read before the increment)."""
    _, opt = _run(make, _params(), _grads(_params(), 1))
    verify(opt.compiled_graph())


# ---- argument validation ------------------------------------------------------------------------

def _w():
    return [Parameter(Tensor(np.ones((2,), np.float32)), name="w")]


def _groups_with_lr():
    w = _w() + [Parameter(Tensor(np.ones((2,), np.float32)), name="b")]
    return [{"params": w[:1], "lr": 0.05}, {"params": w[1:]}]


@pytest.mark.parametrize("make,exc,match", [
    (lambda: nn.ASGD(_w(), loss_scale=2.0), TypeError, "loss_scale"),
    (lambda: nn.Rprop(_w(), loss_scale=2.0), TypeError, "loss_scale"),
    (lambda: nn.Lamb(_w(), 0.1, loss_scale=2.0), TypeError, "loss_scale"),
    (lambda: nn.ASGD(_w(), lambd=1), TypeError, "'lambd' must be float"),
    (lambda: nn.ASGD(_w(), t0=10), TypeError, "'t0' must be float"),
    (lambda: nn.ASGD(_w(), weight_decay=-1.0), ValueError, "weight_decay"),
    (lambda: nn.Rprop(_w(), etas=[0.5, 1.2]), TypeError, "'etas' must be a tuple"),
    (lambda: nn.Rprop(_w(), etas=(0.5,)), ValueError, "size of 2"),
    (lambda: nn.Rprop(_w(), etas=(1.5, 1.2)), ValueError, "'etaminus' must be in range of \\(0.0, 1.0\\)"),
    (lambda: nn.Rprop(_w(), etas=(0.5, 1.0)), ValueError, "etaplus must be greater than 1.0"),
    (lambda: nn.Rprop(_w(), step_sizes=(1.0, 0.1)), ValueError, "maximal step size"),
    (lambda: nn.Rprop(_w(), step_sizes=(0, 50.0)), TypeError, "'min_step_sizes' must be float"),
    (lambda: nn.RMSProp(_w(), epsilon=0.0), ValueError, "'epsilon' must be a positive float"),
    (lambda: nn.RMSProp(_w(), decay=-0.1), ValueError, "'decay' must be a non-negative float"),
    (lambda: nn.RMSProp(_w(), momentum=1), TypeError, "'momentum' must be float"),
    (lambda: nn.RMSProp(_w(), centered=1), TypeError, "'centered' must be bool"),
    (lambda: nn.RMSProp(_w(), loss_scale=0.0), ValueError, "loss_scale"),
    (lambda: nn.FTRL(_w(), learning_rate=[0.1, 0.05]), ValueError,
     "dynamic learning rate and group learning rate are currently not supported in FTRL"),
    (lambda: nn.FTRL(_groups_with_lr(), learning_rate=0.1), ValueError, "group learning rate True"),
    (lambda: nn.FTRL(_w(), learning_rate=1), TypeError, "'learning_rate' must be float"),
    (lambda: nn.FTRL(_w(), learning_rate=0.0), ValueError, "'learning_rate' must be a positive float"),
    (lambda: nn.FTRL(_w(), lr_power=0.5), ValueError, "'lr_power' must be <= 0.0"),
    (lambda: nn.FTRL(_w(), l1=-0.1), ValueError, "'l1' must be >= 0.0"),
    (lambda: nn.FTRL(_w(), initial_accum=1), TypeError, "'initial_accum' must be float"),
    (lambda: nn.FTRL(_w(), use_locking=None), TypeError, "'use_locking' must be bool"),
    (lambda: nn.ProximalAdagrad(_w(), accum=-0.1), ValueError, "'accum' must be a non-negative float"),
    (lambda: nn.ProximalAdagrad(_w(), l1=1), TypeError, "'l1' must be float"),
    (lambda: nn.Lamb(_w(), 0.1, beta1=1.0), ValueError, "'beta1' must be in range"),
    (lambda: nn.Lamb(_w(), 0.1, eps=0.0), ValueError, "'eps' must be a positive float"),
    (lambda: nn.Lamb(_w()), TypeError, "learning_rate"),
    (lambda: nn.AdaFactor(_w(), learning_rate=0.1), ValueError, "cannot combine a manual learning_rate"),
    (lambda: nn.AdaFactor(_w(), relative_step=False), ValueError, "can not be None"),
    (lambda: nn.AdaFactor(_w(), learning_rate=0.1, relative_step=False, warmup_init=True), ValueError,
     "warmup_init requires relative_step=True"),
    (lambda: nn.AdaFactor(_w(), decay_rate=1.0), ValueError, "'decay_rate' must be in range"),
    (lambda: nn.AdaFactor(_w(), eps=(1e-30,)), ValueError, "'eps' must have 2 values"),
    (lambda: nn.AdaFactor(_w(), eps=(1e-30, 1)), TypeError, "'eps1' must be float"),
    (lambda: nn.AdaFactor(_w(), weight_decay=1.0), ValueError, "'weight_decay' must be in range of \\[0, 1\\)"),
    (lambda: nn.AdaFactor(_w(), beta1="0.9"), TypeError, "'beta1' must be int or float"),
    (lambda: nn.LARS("sgd"), TypeError, "'optimizer' must be Optimizer"),
    (lambda: nn.LARS(nn.Momentum(_w(), 0.1, 0.9), epsilon=1), TypeError, "'epsilon' must be float"),
    (lambda: nn.LARS(nn.Momentum(_w(), 0.1, 0.9), use_clip=1), TypeError, "'use_clip' must be bool"),
    (lambda: nn.LARS(nn.Momentum([{"params": _w(), "lr": [0.1, 0.2]},
                                  {"params": [Parameter(Tensor(np.ones(2, np.float32)), name="b")]}], 0.1, 0.9),
                     use_clip=True), ValueError, "cannot both be true"),
])
def test_argument_validation(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


# ---- Model.train on a small MLP -----------------------------------------------------------------
