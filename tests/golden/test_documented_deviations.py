"""Golden cases where MindSpore's CPU kernel departs from its own documentation
(``optimizer_cases.DOCUMENTED_DEVIATIONS``). minispore implements the documented formula: each
case's inputs (parameters, gradients, constructor arguments) are driven through minispore and
compared with a numpy transcription of the documented formula written here. The test also
checks that the recorded MindSpore trajectory really differs, so a case that stops deviating
is noticed.

To add a case: write ``_<name>(case)`` returning the documented parameters after every step (a
list over steps of {param name: float64 array}) and register it in ``REFERENCES``.
"""

import os

import numpy as np
import pytest

from golden.helpers import GOLDEN, array, load
from golden.optimizer_cases import DOCUMENTED_DEVIATIONS, grads_at, make_optimizer, make_params


def _inputs(case):
    """(initial params {name: float64}, per-step grads [{name: float64}], kwargs)."""
    params = {p["name"]: array(p["value"]).astype(np.float64) for p in case["inputs"]["params"]}
    grads = [{k: array(v).astype(np.float64) for k, v in g.items()} for g in case["inputs"]["grads"]]
    return params, grads, case["kwargs"]


def _adagrad_no_update_slots(case):
    """Adagrad as documented with update_slots=False: the accumulator keeps its initial value
    ``accum`` and w -= lr * g / sqrt(accum) (no weight decay, no loss scale in this case)."""
    params, grads, kw = _inputs(case)
    assert kw["update_slots"] is False and case["inputs"]["grad_loss_scale"] == 1.0
    assert kw.get("weight_decay", 0.0) == 0.0 and case["inputs"]["param_groups"] is None
    lr, accum = kw["learning_rate"], kw["accum"]
    out = []
    for g in grads:
        params = {k: w - lr * g[k] / np.sqrt(accum) for k, w in params.items()}
        out.append(params)
    return out



def _ftrl_l1(case):
    """FTRL as documented (no groups, no weight decay, no loss scale in this case): with p = lr_power,
    m' = m + g^2; u += g - (m'^-p - m^-p)/lr * w; w = (sign(u)*l1 - u)/(m'^-p/lr + 2*l2) where |u| > l1,
    else 0; m = m'. MindSpore's CPU kernel drops sign(u)."""
    params, grads, kw = _inputs(case)
    assert case["inputs"]["grad_loss_scale"] == 1.0 and case["inputs"]["param_groups"] is None
    assert kw.get("weight_decay", 0.0) == 0.0
    lr, l1, l2 = kw["learning_rate"], kw.get("l1", 0.0), kw.get("l2", 0.0)
    power = -kw.get("lr_power", -0.5)
    accum = {k: np.full_like(w, kw.get("initial_accum", 0.1)) for k, w in params.items()}
    linear = {k: np.zeros_like(w) for k, w in params.items()}
    out = []
    for g in grads:
        new = {}
        for k, w in params.items():
            m_new = accum[k] + g[k] ** 2
            linear[k] = linear[k] + g[k] - (m_new ** power - accum[k] ** power) / lr * w
            quadratic = m_new ** power / lr + 2 * l2
            new[k] = np.where(np.abs(linear[k]) > l1, (np.sign(linear[k]) * l1 - linear[k]) / quadratic, 0.0)
            accum[k] = m_new
        params = new
        out.append(params)
    return out


def _momentum_nesterov(case):
    """Momentum as documented with use_nesterov=True (no weight decay, no loss scale in this case):
    accum = momentum*accum + g; w -= lr*(g + momentum*accum). MindSpore's CPU kernel ignores
    use_nesterov (w -= lr*accum)."""
    params, grads, kw = _inputs(case)
    assert kw["use_nesterov"] is True and case["inputs"]["grad_loss_scale"] == 1.0
    assert kw.get("weight_decay", 0.0) == 0.0 and case["inputs"]["param_groups"] is None
    lr, momentum = kw["learning_rate"], kw["momentum"]
    accum = {k: np.zeros_like(w) for k, w in params.items()}
    out = []
    for g in grads:
        for k in params:
            accum[k] = momentum * accum[k] + g[k]
        params = {k: w - lr * (g[k] + momentum * accum[k]) for k, w in params.items()}
        out.append(params)
    return out


# case name -> documented-formula reference (see the module docstring)
REFERENCES = {
    "adagrad_no_update_slots": _adagrad_no_update_slots,
    "ftrl_l1": _ftrl_l1,
    "momentum_nesterov": _momentum_nesterov,
}

NAMES = sorted(DOCUMENTED_DEVIATIONS)


def _case(name):
    return load(os.path.join(GOLDEN, "optimizer", name + ".json"))


def _run_minispore(case):
    params = make_params(case)
    opt = make_optimizer(case, params)
    order = [p.name for p in opt.parameters]
    out = []
    for step in range(case["inputs"]["num_steps"]):
        opt(grads_at(case, step, order))
        out.append({k: p.asnumpy().copy() for k, p in params.items()})
    return out


@pytest.mark.parametrize("name", NAMES)
def test_documented_formula(name):
    if name not in REFERENCES:
        pytest.skip(f"no documented-formula reference written yet for {name} "
                    f"({DOCUMENTED_DEVIATIONS[name]})")
    case = _case(name)
    got = _run_minispore(case)
    want = REFERENCES[name](case)
    assert len(got) == len(want) == case["inputs"]["num_steps"]
    for step, (g, w) in enumerate(zip(got, want)):
        for k in w:
            np.testing.assert_allclose(g[k], w[k], rtol=1e-5, atol=1e-6, err_msg=f"{name} step {step + 1} {k}")


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_mindspore_cpu_really_deviates(name):
    """MindSpore's recorded trajectory differs from the documented formula (else the case
    belongs in the ordinary golden harness)."""
    case = _case(name)
    want = REFERENCES[name](case)[-1]
    recorded = case["expected"]["params"][-1]
    assert any(not np.allclose(array(recorded[k]), want[k], rtol=1e-4, atol=1e-6) for k in want)
